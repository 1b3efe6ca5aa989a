//go:build unix

package runtimedir

import (
	"errors"
	"os"
	"syscall"
)

// owner is the uid owning fi.
func owner(fi os.FileInfo) (int, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}

// alive says whether pid is a running process (EPERM: it runs, as someone else).
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
