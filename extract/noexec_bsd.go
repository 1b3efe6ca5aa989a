//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package extract

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// dirExecCheck: only the injected check here; fileExecCheck asks the kernel.
func dirExecCheck(dir string, opts *Options) error {
	if opts.hooks != nil && opts.hooks.noexec != nil {
		return opts.hooks.noexec(dir)
	}
	return nil
}

// fileExecCheck asks the kernel whether this file is executable before it
// gets its trusted name.
func fileExecCheck(f *os.File, path string, opts *Options) error {
	if opts.hooks != nil && opts.hooks.noexec != nil {
		return nil
	}
	if err := unix.Access(path, unix.X_OK); errors.Is(err, unix.EACCES) {
		return fmt.Errorf("%s cannot be executed here (noexec mount?)", path)
	}
	return nil
}
