// Package e2e runs the real otelcol-hybrid binary (with its embedded
// otelcol-rust) against real clients and a real OTLP backend. `make test`
// builds the binaries and points these tests at them through the environment.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/otelcol-hybrid/otelcol-hybrid/internal/testkit"
)

// binary returns the path in env var name, or skips: `make test` always sets
// these, a bare `go test ./...` has not built the binaries.
func binary(t *testing.T, name string) string {
	t.Helper()
	p := os.Getenv(name)
	if p == "" {
		if os.Getenv("E2E_REQUIRED") != "" {
			t.Fatalf("%s is not set but E2E_REQUIRED is: the Makefile lost track of a binary", name)
		}
		t.Skipf("%s is not set: run through `make test`, which builds the binaries", name)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s=%s: %v", name, p, err)
	}
	return p
}

// hybridBin is the collector under test: bin/otelcol-hybrid, or the
// embedded build when OTELCOL_HYBRID_EMBEDDED_BIN is set (`make
// test-embedded-e2e` runs the whole suite again that way).
func hybridBin(t *testing.T) string {
	t.Helper()
	if embedded() {
		return binary(t, "OTELCOL_HYBRID_EMBEDDED_BIN")
	}
	return binary(t, "OTELCOL_HYBRID_BIN")
}

// embedded: this run tests the embedded build (Rust linked in-process).
func embedded() bool { return os.Getenv("OTELCOL_HYBRID_EMBEDDED_BIN") != "" }

// skipInEmbedded skips a test about the Rust child process, which an
// embedded build does not have.
func skipInEmbedded(t *testing.T, why string) {
	t.Helper()
	if embedded() {
		t.Skip("embedded build: " + why)
	}
}

// shortTempDir is a temp dir with a short path: bridge sockets live under it
// and unix socket paths are limited to ~104 bytes.
func shortTempDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "e2e")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(d) })
	return d
}

// hybrid is one running otelcol-hybrid process.
type hybrid struct {
	t          *testing.T
	cmd        *exec.Cmd
	out        *testkit.SyncBuffer
	runtimeDir string // base dir for per-process runtime dirs
	cacheDir   string
	exited     chan struct{}
	waitErr    error
}

type hybridOpts struct {
	env  []string
	args []string
}

// startHybrid writes config to a file and runs otelcol-hybrid on it.
func startHybrid(t *testing.T, config string, o hybridOpts) *hybrid {
	t.Helper()
	bin := hybridBin(t)
	dir := shortTempDir(t)
	cfgPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	h := &hybrid{t: t, out: &testkit.SyncBuffer{}, runtimeDir: filepath.Join(dir, "run"), cacheDir: filepath.Join(dir, "cache"), exited: make(chan struct{})}
	if err := os.Mkdir(h.runtimeDir, 0o700); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"--config", cfgPath}, o.args...)
	h.cmd = exec.Command(bin, args...)
	h.cmd.Env = append(os.Environ(),
		"OTELCOL_HYBRID_RUNTIME_DIR="+h.runtimeDir,
		"OTELCOL_HYBRID_CACHE_DIR="+h.cacheDir,
		"TMPDIR="+dir,
	)
	h.cmd.Env = append(h.cmd.Env, o.env...)
	h.cmd.Stdout, h.cmd.Stderr = h.out, h.out
	if err := h.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { h.waitErr = h.cmd.Wait(); close(h.exited) }()
	t.Cleanup(func() {
		_ = h.cmd.Process.Kill()
		<-h.exited
		// Reap a child the parent could not stop (the test failed): never leak processes.
		for _, pid := range childPIDs(h.cmd.Process.Pid) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		if t.Failed() {
			t.Logf("otelcol-hybrid output:\n%s", tail(h.out.String(), 80))
		}
	})
	return h
}

// waitReady waits for the collector's "Everything is ready" line.
func (h *hybrid) waitReady() {
	h.t.Helper()
	h.waitFor("Everything is ready", 90*time.Second)
}

func (h *hybrid) waitFor(substr string, timeout time.Duration) {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if strings.Contains(h.out.String(), substr) {
			return
		}
		select {
		case <-h.exited:
			h.t.Fatalf("otelcol-hybrid exited (%v) before logging %q:\n%s", h.waitErr, substr, tail(h.out.String(), 60))
		case <-time.After(50 * time.Millisecond):
		}
	}
	h.t.Fatalf("timed out waiting for %q:\n%s", substr, tail(h.out.String(), 60))
}

// wait waits for exit and returns the exit code.
func (h *hybrid) wait(timeout time.Duration) int {
	h.t.Helper()
	select {
	case <-h.exited:
	case <-time.After(timeout):
		h.t.Fatalf("otelcol-hybrid did not exit within %s:\n%s", timeout, tail(h.out.String(), 60))
	}
	if h.waitErr == nil {
		return 0
	}
	ee := &exec.ExitError{}
	if errors.As(h.waitErr, &ee) {
		return ee.ExitCode()
	}
	h.t.Fatalf("wait: %v", h.waitErr)
	return -1
}

// stopGracefully sends SIGTERM (what systemd and Ctrl-C do) and requires a
// clean exit 0 within timeout: graceful stop drains both halves.
func (h *hybrid) stopGracefully(timeout time.Duration) {
	h.t.Helper()
	if err := h.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		h.t.Fatalf("SIGTERM: %v", err)
	}
	if code := h.wait(timeout); code != 0 {
		h.t.Fatalf("exit code %d after SIGTERM, want 0", code)
	}
}

// rustChild returns the pid of the otelcol-rust child (polling until there is one).
func (h *hybrid) rustChild(timeout time.Duration) int {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if pids := childPIDs(h.cmd.Process.Pid); len(pids) == 1 {
			return pids[0]
		}
		time.Sleep(20 * time.Millisecond)
	}
	h.t.Fatalf("no single otelcol-rust child of pid %d: %v", h.cmd.Process.Pid, childPIDs(h.cmd.Process.Pid))
	return 0
}

// childPIDs lists the live (non-zombie) children of pid from /proc.
func childPIDs(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// Fields after the parenthesised command: state ppid ...
		rest := string(stat[bytes.LastIndexByte(stat, ')')+2:])
		f := strings.Fields(rest)
		if len(f) > 1 && f[0] != "Z" && f[1] == strconv.Itoa(pid) {
			out = append(out, n)
		}
	}
	return out
}

func processGone(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	rest := string(stat[bytes.LastIndexByte(stat, ')')+2:])
	return strings.HasPrefix(rest, "Z")
}

// run runs a client command (telemetrygen, grpc-health-probe) to completion.
func run(t *testing.T, timeout time.Duration, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, tail(out.String(), 30))
	}
	return out.String()
}

func tail(s string, lines int) string {
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 0, 64*1024), 4<<20)
	var all []string
	for sc.Scan() {
		all = append(all, sc.Text())
	}
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}
