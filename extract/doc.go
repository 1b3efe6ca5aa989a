// Package extract turns an embedded, zstd-compressed helper executable into
// something a process can exec, without ever handing out bytes that were not
// verified against the digests recorded at build time.
//
// It knows nothing of collectors: any Go program that ships a helper binary
// can use it.
//
// # Flow
//
//  1. The compressed blob's sha256 is checked before a single byte is
//     decompressed (a tampered blob never reaches the decoder). A warm
//     start decompresses nothing and skips this hash: it checks the cached
//     file against the raw digest instead (see Placement).
//  2. The blob is decoded by a single-threaded zstd decoder whose window and
//     memory are bounded, and whose output is cut at Artifact.RawSize, so a
//     hostile blob cannot exhaust memory or disk.
//  3. The raw bytes are hashed while they are written (one pass) and compared
//     with Artifact.RawSHA256 before anything is made executable or given a
//     trusted name.
//
// # Placement
//
// On Linux (ModeAuto, the default) the bytes go into a sealed memfd
// (MFD_CLOEXEC|MFD_ALLOW_SEALING, sealed with F_SEAL_SEAL|F_SEAL_SHRINK|
// F_SEAL_GROW|F_SEAL_WRITE after verification): nothing touches the disk and
// nothing can change between verification and exec. Exe.Path is then
// /proc/self/fd/N. Where the kernel refuses an executable memfd (no memfd,
// vm.memfd_noexec=2, no /proc) the disk cache is used instead and the reason
// is logged.
//
// The disk cache is a private directory (owned by the current user, mode
// 0700; a symlink, a foreign owner or group/world access is refused) in the
// first usable of: Options.Dir, $<Options.EnvVar>, $XDG_RUNTIME_DIR,
// os.TempDir(), os.UserCacheDir() (the last three get a "<Name>-<uid>"
// subdirectory). A directory on a noexec mount is skipped. The executable is
// named "<Name>-<raw sha256>", mode 0500, written to a temp file in the same
// directory, fsynced and renamed, so a crash never leaves a trusted partial
// file. A cached file is hashed in full when written and recorded beside it
// ("<Name>-<raw>.verified": device, inode, size, mtime, ctime). A warm start
// whose file still has that identity reads nothing more (every write moves
// the ctime, which no process can set); any other cached file is re-hashed
// first, and one that does not match is replaced, never run.
//
// Locks (flock): "<Name>.lock" is held exclusively while extracting or
// cleaning up, so N processes starting at once extract exactly once;
// "<Name>-<raw>.lock" is held shared for as long as the Exe is open, and
// older versions are removed only when their in-use lock can be taken
// exclusively, i.e. when no running process uses them.
//
// # How a spawner must use an Exe
//
//   - Exec Exe.Path directly (exec.Command(exe.Path, ...)). Keep the Exe open
//     until the child has been started (for memfd, the fd must exist at
//     execve time; for disk, the shared lock keeps the file from being
//     cleaned up). Holding it for the child's whole life is simplest.
//   - Memfd paths are /proc/self/fd/N: they work because execve resolves the
//     path in the child before close-on-exec closes fd N. If you also pass
//     exec.Cmd.ExtraFiles, fd numbers 3..3+len(ExtraFiles)-1 are overwritten
//     in the child before execve; Executable places the memfd at a high fd
//     number (>= 100) so that ordinary ExtraFiles use cannot collide, but do
//     not pass more than ~90 ExtraFiles. Alternatively pass Exe.File() in
//     ExtraFiles at index k and exec "/proc/self/fd/<3+k>".
//   - Wrap cmd.Start in RetryETXTBSY: on a disk extraction, another goroutine
//     that forked while our temp file was open for writing can make execve
//     fail with ETXTBSY for a short while (golang/go#22315).
//   - Call Exe.Close when done with it.
package extract
