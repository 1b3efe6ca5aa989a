//go:build linux

package extract

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// memfdSeals make the memfd immutable after verification: no write, no
// resize, and no way to remove these seals.
const memfdSeals = unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE

// memfdMinFD keeps the memfd above the fd numbers exec.Cmd.ExtraFiles
// overwrites in the child before execve (3, 4, ...).
const memfdMinFD = 100

// placeMemfd decodes into a sealed, executable memfd. Errors that are not
// content errors mean "no usable memfd here" and lead to the disk fallback.
func placeMemfd(a Artifact, blob []byte, opts *Options) (*Exe, error) {
	fd, err := memfdCreate(a.Name, unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING|unix.MFD_EXEC, opts)
	if errors.Is(err, unix.EINVAL) {
		// Kernels before 6.3 do not know MFD_EXEC; their memfds are executable.
		fd, err = memfdCreate(a.Name, unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING, opts)
	}
	if err != nil {
		if errors.Is(err, unix.EACCES) {
			return nil, fmt.Errorf("memfd_create refused an executable memfd (vm.memfd_noexec=2?): %w", err)
		}
		return nil, fmt.Errorf("memfd_create: %w", err)
	}
	hi, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, memfdMinFD)
	_ = unix.Close(fd)
	if err != nil {
		return nil, fmt.Errorf("memfd: F_DUPFD_CLOEXEC: %w", err)
	}
	path := "/proc/self/fd/" + strconv.Itoa(hi)
	f := os.NewFile(uintptr(hi), "memfd:"+a.Name)
	ok := false
	defer func() {
		if !ok {
			_ = f.Close()
		}
	}()

	// Reserve the space up front: running out of memory (tmpfs/cgroup
	// limits) shows here, not halfway through decoding.
	if err := unix.Fallocate(hi, 0, 0, a.RawSize); err != nil {
		return nil, fmt.Errorf("memfd: cannot reserve %d bytes: %w", a.RawSize, err)
	}
	if err := decodeTo(f, a, blob, opts.maxDecoderMemory()); err != nil {
		return nil, err
	}
	if err := f.Chmod(0o500); err != nil {
		return nil, fmt.Errorf("memfd: chmod: %w", err)
	}
	// F_SEAL_EXEC (Linux 6.3+) freezes the mode too; older kernels refuse
	// it, which is fine: the base seals are what matters.
	_, _ = unix.FcntlInt(uintptr(hi), unix.F_ADD_SEALS, unix.F_SEAL_EXEC)
	if _, err := unix.FcntlInt(uintptr(hi), unix.F_ADD_SEALS, memfdSeals); err != nil {
		return nil, fmt.Errorf("memfd: F_ADD_SEALS: %w", err)
	}
	if seals, err := unix.FcntlInt(uintptr(hi), unix.F_GET_SEALS, 0); err != nil || seals&memfdSeals != memfdSeals {
		return nil, fmt.Errorf("memfd: seals 0x%x, want 0x%x: %w", seals, memfdSeals, err)
	}
	// Exec goes through /proc/self/fd/N: without /proc, or when policy
	// forbids exec of this memfd, use the disk instead.
	if err := unix.Access(path, unix.X_OK); err != nil {
		return nil, fmt.Errorf("memfd: %s not executable: %w", path, err)
	}
	ok = true
	return &Exe{Path: path, Memfd: true, Extracted: true, file: f}, nil
}

// memfdCreate is unix.MemfdCreate, or the injected failure in tests.
func memfdCreate(name string, flags int, opts *Options) (int, error) {
	if opts.hooks != nil && opts.hooks.memfdErr != nil {
		return -1, opts.hooks.memfdErr
	}
	return unix.MemfdCreate(name, flags)
}
