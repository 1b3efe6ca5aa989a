//go:build !linux

package supervisor

// own starts, waits for and reaps the child. Without waitid(WNOWAIT) in
// x/sys outside Linux, exited is set right after the reap; the window between
// the two is the only place a group signal could miss, and PIDs are not
// reused that fast in practice.
func (c *child) own(startErr chan<- error) {
	if err := c.cmd.Start(); err != nil {
		startErr <- err
		return
	}
	startErr <- nil
	_ = c.cmd.Wait()
	c.markExited()
	c.reaped(c.cmd.ProcessState)
}
