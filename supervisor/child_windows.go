//go:build windows

package supervisor

import (
	"os"
	"syscall"

	"golang.org/x/sys/windows"
)

func sysProcAttr() *syscall.SysProcAttr {
	// Its own console process group, so a Ctrl+C meant for us is not
	// delivered to the child twice.
	return &syscall.SysProcAttr{CreationFlags: windows.CREATE_NEW_PROCESS_GROUP}
}

// signalChild: Windows has no SIGTERM; the graceful request is closing the
// child's stdin (otelcol-rust --exit-on-stdin-eof). Kill uses the process
// handle, which cannot refer to a recycled PID.
func signalChild(c *child, force bool) {
	if force {
		_ = c.cmd.Process.Kill()
		return
	}
	c.closeStdin()
}

func exitSignal(*os.ProcessState) string { return "" }
