//go:build !linux

package supervisor

// markExited records that the child was reaped. On Linux the reaper sets
// c.exited itself, under the same lock as its kill of the process group
// (child_linux.go); the other platforms call this.
func (c *child) markExited() {
	c.mu.Lock()
	c.exited = true
	c.mu.Unlock()
}
