//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package extract

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// A cached executable is hashed in full when it is written and whenever its
// record is missing or stale; what was hashed is recorded beside it in
// <file>.verified as the file's identity: device, inode, size, mtime and
// ctime. A start that finds the same identity does not read the file again.
//
// That is as strong as re-hashing against anyone who cannot already write
// our 0700 directory (who can, can replace the binary that does the
// checking too): a replaced file has another inode or ctime, and every write
// to the file, even one that puts its mtime back, moves its ctime, which no
// process can set. Hashing 25 MB costs ~17 ms, most of a warm start.

// attestSuffix names a cached executable's record.
const attestSuffix = ".verified"

// attestation is the record's one line for the file fi describes, or
// ok=false where the platform gives no ctime (then every start re-hashes).
func attestation(a Artifact, fi fs.FileInfo) (string, bool) {
	id, ok := fileIdentity(fi)
	if !ok {
		return "", false
	}
	return fmt.Sprintf("otelcol-hybrid verified v1 %s sha256=%s size=%d %s\n",
		a.Name, strings.ToLower(a.RawSHA256), fi.Size(), id), true
}

// attested reports whether path's record matches fi, the file's current
// state. The record counts only if it is a regular file of ours that
// nobody else can write, reached without following a link.
func attested(path string, a Artifact, fi fs.FileInfo) bool {
	want, ok := attestation(a, fi)
	if !ok {
		return false
	}
	f, err := os.OpenFile(path+attestSuffix, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return false
	}
	defer func() { _ = f.Close() }()
	rfi, err := f.Stat()
	if err != nil || !rfi.Mode().IsRegular() || rfi.Mode().Perm()&0o077 != 0 || rfi.Size() > 1024 {
		return false
	}
	if st, ok := rfi.Sys().(*syscall.Stat_t); !ok || int(st.Uid) != os.Geteuid() {
		return false
	}
	got, err := io.ReadAll(io.LimitReader(f, 1025))
	return err == nil && bytes.Equal(got, []byte(want))
}

// attest records path, just hashed in full, as verified, with fi its state
// taken before the hash (nil: as it is now, for a file we just renamed into
// place under the exclusive lock). Any change since moved its ctime, so the
// record then simply fails to match. Best effort: a missing record only costs
// the next start a full hash.
func attest(path string, a Artifact, fi fs.FileInfo, opts *Options) {
	if fi == nil {
		var err error
		if fi, err = os.Lstat(path); err != nil {
			return
		}
	}
	if !fi.Mode().IsRegular() {
		return
	}
	line, ok := attestation(a, fi)
	if !ok {
		return
	}
	dir := filepath.Dir(path)
	// The temp name is an extraction's: a cleanup under the exclusive lock
	// removes it if we die before the rename.
	f, err := os.CreateTemp(dir, tempPrefix(a)+"*")
	if err != nil {
		opts.log("extract: cannot record the verified file", "path", path, "reason", err.Error())
		return
	}
	tmp := f.Name()
	_, werr := f.WriteString(line)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, path+attestSuffix)
	}
	if werr != nil {
		_ = os.Remove(tmp)
		opts.log("extract: cannot record the verified file", "path", path, "reason", werr.Error())
	}
}
