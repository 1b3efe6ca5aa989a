//go:build linux

package supervisor

import (
	"bufio"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/otelcol-hybrid/otelcol-hybrid/internal/testkit"
)

// TestPeerCredMismatchRefused: the child lets a grandchild (same uid, other
// pid) serve the health socket; the supervisor must not trust it.
func TestPeerCredMismatchRefused(t *testing.T) {
	h := newHarness(t, "-impostor")
	s := h.new()
	err := s.Start(context.Background())
	if err == nil {
		t.Fatal("Start trusted a health socket served by another process")
	}
	if !strings.Contains(err.Error(), "not our child pid") {
		t.Fatalf("Start error %q does not name the peer mismatch", err)
	}
}

func TestVerifyPeerInProcess(t *testing.T) {
	dir, err := os.MkdirTemp("", "sv")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = os.RemoveAll(dir) }()
	sock := filepath.Join(dir, "h.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	hs := health.NewServer()
	healthpb.RegisterHealthServer(srv, hs)
	go func() { _ = srv.Serve(ln) }()
	defer srv.Stop()

	ep := endpoint{network: "unix", address: sock}
	for _, tc := range []struct {
		pid    int
		wantOK bool
	}{{os.Getpid(), true}, {os.Getpid() + 1, false}} {
		hc, err := newHealthClient(ep, tc.pid)
		if err != nil {
			t.Fatal(err)
		}
		err = hc.check(context.Background(), 5*time.Second)
		hc.close()
		if tc.wantOK && err != nil {
			t.Errorf("pid %d (ours): %v", tc.pid, err)
		}
		if !tc.wantOK && (err == nil || !strings.Contains(err.Error(), "not our child pid")) {
			t.Errorf("pid %d (not ours): err = %v; want a peer mismatch", tc.pid, err)
		}
	}
}

// TestParentKilledChildDies: SIGKILL an intermediate parent that supervises
// a child; Pdeathsig must take the child down within 1 s. The child does not
// watch stdin here, so only Pdeathsig can kill it.
func TestParentKilledChildDies(t *testing.T) {
	parentKilledChildDies(t)
}

func TestRealCollectorDiesWithParent(t *testing.T) {
	parentKilledChildDies(t, testkit.Binary(t, "OTELCOL_RUST_BIN"))
}

func parentKilledChildDies(t *testing.T, extra ...string) {
	dir, err := os.MkdirTemp("", "sv")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = os.RemoveAll(dir) }()
	exe, _ := os.Executable()
	parent := exec.Command(exe, append([]string{dir, filepath.Join(dir, "h.sock")}, extra...)...)
	parent.Env = []string{helperEnv + "=intermediate"}
	parent.Stderr = os.Stderr
	out, err := parent.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = parent.Process.Kill(); _ = parent.Wait() }()

	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("intermediate did not report its child: %v", err)
	}
	childPID, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || !processAlive(childPID) {
		t.Fatalf("bad child pid %q (alive=%v)", line, processAlive(childPID))
	}
	defer func() { _ = syscall.Kill(childPID, syscall.SIGKILL) }()

	killed := time.Now()
	if err := parent.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = parent.Wait()
	for !gone(childPID) {
		if time.Since(killed) > time.Second {
			t.Fatalf("child %d still alive %s after its parent was SIGKILLed", childPID, time.Since(killed))
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("child gone %s after parent SIGKILL", time.Since(killed))
}

// gone: no such process, or a zombie waiting for init to reap it.
func gone(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	// The state follows the parenthesised command name.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && (s[i+2] == 'Z' || s[i+2] == 'X')
}
