//go:build unix && !linux

package supervisor

import "syscall"

func sysProcAttr() *syscall.SysProcAttr {
	// No Pdeathsig outside Linux: the child's --exit-on-stdin-eof /
	// --exit-with-parent checks are the line of defence there.
	return &syscall.SysProcAttr{Setpgid: true}
}
