//go:build linux

package supervisor

import (
	"errors"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{
		Setpgid:   true, // own group: kill(-pgid) reaches its helpers too
		Pdeathsig: syscall.SIGKILL,
	}
}

// own starts, waits for and reaps the child. It runs on a locked OS thread
// for the child's whole life because Pdeathsig fires when the *thread* that
// forked exits, not the process: an unlocked goroutine could fork from a
// thread the runtime later retires, killing a healthy child.
func (c *child) own(startErr chan<- error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := c.cmd.Start(); err != nil {
		startErr <- err
		return
	}
	startErr <- nil
	pid := c.cmd.Process.Pid

	// Wait for the exit without reaping: the zombie keeps pid and pgid
	// reserved while we flip exited under the lock, so a concurrent signal
	// either lands on our (dead) child or is not sent at all.
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	c.mu.Lock()
	// The leader is gone; anything it left in its group dies with it while
	// the zombie still pins the group id.
	_ = unix.Kill(-pid, unix.SIGKILL)
	c.exited = true
	c.mu.Unlock()

	_ = c.cmd.Wait() // a non-zero exit is reported through ProcessState
	c.reaped(c.cmd.ProcessState)
}
