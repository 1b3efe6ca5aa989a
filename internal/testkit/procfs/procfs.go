// Package procfs reads the process tree from Linux's /proc, for the e2e
// tests and the soak run that check what a collector leaves running. It is
// apart from testkit so that a program (the soak) can use it without linking
// the testing package.
package procfs

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Children lists the live (non-zombie) children of pid.
func Children(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	want := strconv.Itoa(pid)
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		f := afterComm(stat)
		if len(f) > 1 && f[0] != "Z" && f[1] == want {
			out = append(out, n)
		}
	}
	return out
}

// Gone reports that pid has exited (or is a zombie nobody reaped yet).
func Gone(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	f := afterComm(stat)
	return len(f) > 0 && f[0] == "Z"
}

// afterComm splits /proc/<pid>/stat after the parenthesised command, which
// may itself hold spaces and parentheses: state, ppid, ...
func afterComm(stat []byte) []string {
	return strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+2:]))
}
