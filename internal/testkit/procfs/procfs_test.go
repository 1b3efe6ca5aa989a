package procfs

import (
	"os"
	"os/exec"
	"slices"
	"testing"
)

func TestChildrenAndGone(t *testing.T) {
	t.Parallel()
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Skipf("no sleep to start: %v", err)
	}
	child := cmd.Process.Pid
	if !slices.Contains(Children(os.Getpid()), child) {
		t.Fatalf("child %d not among %v", child, Children(os.Getpid()))
	}
	if Gone(child) {
		t.Fatal("a running child is not gone")
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if !Gone(child) || slices.Contains(Children(os.Getpid()), child) {
		t.Fatal("a reaped child is gone")
	}
}
