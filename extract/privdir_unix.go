//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package extract

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// ensurePrivateDir creates dir (0700) or checks that the existing one is
// ours alone. A planted symlink, a directory owned by someone else or one
// that others can enter would let them swap the executable before we run it.
func ensurePrivateDir(dir string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return fmt.Errorf("cannot create parent of %s: %w", dir, err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("cannot create %s: %w", dir, err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("cannot stat %s: %w", dir, err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("refusing %s: it is a symlink", dir)
	}
	if !fi.IsDir() {
		return fmt.Errorf("refusing %s: not a directory", dir)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("refusing %s: cannot read its owner", dir)
	}
	if uid := os.Geteuid(); int(st.Uid) != uid {
		return fmt.Errorf("refusing %s: owned by uid %d, not by us (uid %d)", dir, st.Uid, uid)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("refusing %s: mode %04o is group/world accessible, want 0700", dir, perm)
	}
	return nil
}

// checkCachedFile applies the same rules to an existing cached executable
// before its bytes are even read.
func checkCachedFile(fi fs.FileInfo, path string) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file (%s)", path, fi.Mode().Type())
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("%s is not owned by us", path)
	}
	if perm := fi.Mode().Perm(); perm != 0o500 {
		return fmt.Errorf("%s has mode %04o, want 0500", path, perm)
	}
	return nil
}
