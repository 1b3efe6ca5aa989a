//go:build unix

package supervisor

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// signalChild sends SIGTERM or SIGKILL to the child's whole process group.
// Callers hold c.mu and have checked c.exited.
func signalChild(c *child, force bool) {
	sig := unix.SIGTERM
	if force {
		sig = unix.SIGKILL
	}
	_ = unix.Kill(-c.pid, sig)
}

func exitSignal(ps *os.ProcessState) string {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return unix.SignalName(ws.Signal())
	}
	return ""
}
