package startupgc

import (
	"fmt"
	"os"
	"os/exec"
	"runtime/debug"
	"strings"
	"testing"
)

// gcPercent reads the current GC percent (SetGCPercent returns it).
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// TestStartupThenDefault runs in a child process so that the package's
// init sees the environment the case gives it.
func TestStartupThenDefault(t *testing.T) {
	if mode := os.Getenv("STARTUPGC_CHILD"); mode != "" {
		before := gcPercent()
		Done()
		after := gcPercent()
		Done()
		again := gcPercent()
		fmt.Println(before, after, again)
		return
	}
	cases := []struct {
		name string
		env  []string
		want string // GC percent: at start, after Done, after a second Done
	}{
		{"default", nil, "400 100 100"},
		{"operator's GOGC", []string{"GOGC=50"}, "50 50 50"},
		{"operator's GOGC off", []string{"GOGC=off"}, "-1 -1 -1"},
		{"operator's memory limit", []string{"GOMEMLIMIT=1GiB"}, "100 100 100"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestStartupThenDefault$")
			cmd.Env = append(withoutGCSettings(os.Environ()), append(c.env, "STARTUPGC_CHILD=1")...)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("child: %v\n%s", err, out)
			}
			if got := strings.SplitN(string(out), "\n", 2)[0]; got != c.want {
				t.Errorf("GC percent at start, after Done, after Done again = %q, want %q", got, c.want)
			}
		})
	}
}

func withoutGCSettings(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "GOGC=") && !strings.HasPrefix(kv, "GOMEMLIMIT=") {
			out = append(out, kv)
		}
	}
	return out
}
