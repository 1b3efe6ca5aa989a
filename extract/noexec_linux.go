//go:build linux

package extract

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// dirExecCheck refuses a directory on a noexec mount before anything is
// written there (statfs ST_NOEXEC).
func dirExecCheck(dir string, opts *Options) error {
	if opts.hooks != nil && opts.hooks.noexec != nil {
		return opts.hooks.noexec(dir)
	}
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return fmt.Errorf("cannot statfs %s: %w", dir, err)
	}
	if st.Flags&unix.ST_NOEXEC != 0 {
		return fmt.Errorf("%s is on a noexec mount", dir)
	}
	return nil
}

// fileExecCheck asks the kernel whether it would exec this very file
// (catches noexec, LSM policies that statfs cannot see), before the file
// gets its trusted name.
func fileExecCheck(f *os.File, path string, opts *Options) error {
	if opts.hooks != nil && opts.hooks.noexec != nil {
		return nil // the injected check already decided for the directory
	}
	err := unix.Faccessat(int(f.Fd()), "", unix.X_OK, unix.AT_EACCESS|unix.AT_EMPTY_PATH)
	if err != nil && !errors.Is(err, unix.EACCES) {
		// Old kernels lack faccessat2(AT_EMPTY_PATH): go through /proc.
		err = unix.Access("/proc/self/fd/"+strconv.Itoa(int(f.Fd())), unix.X_OK)
	}
	if errors.Is(err, unix.EACCES) {
		return fmt.Errorf("%s cannot be executed here (noexec mount or security policy)", path)
	}
	return nil // cannot tell: exec will report it
}
