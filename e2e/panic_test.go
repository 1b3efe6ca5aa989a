package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/otelcol-hybrid/otelcol-hybrid/internal/testkit"
	"github.com/otelcol-hybrid/otelcol-hybrid/internal/testkit/procfs"
)

// TestRustPanicFailsOnlyItsRequest: a Rust component that panics (the fault
// processor with error: panic, on every second request) fails that request
// with Internal, carrying the panic's message, to a real Go client of the Go
// receiver; the requests before and after it are delivered, the panic is
// logged through the collector's logger, and the collector keeps running:
// embedded, the panic was caught inside this process; in subprocess mode the
// Rust child is the same process before and after (not restarted).
func TestRustPanicFailsOnlyItsRequest(t *testing.T) {
	t.Parallel()
	s := startScenario(t, "panic.yaml", scenarioOpts{})
	child := 0
	if !embedded() {
		child = s.h.rustChild(30 * time.Second)
	}
	c := otlpClient(t, s.grpc)
	call := func(metric string) codes.Code {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		st, took := export(ctx, c, metric)
		t.Logf("%s → %v %q after %s", metric, st.Code(), st.Message(), took.Round(time.Millisecond))
		// Embedded, the FFI boundary's catch_unwind names the panic in the
		// status; the child's OTLP receiver answers "pipeline task failed"
		// and logs the panic's message.
		if embedded() && st.Code() == codes.Internal && !strings.Contains(st.Message(), "injected-panic") {
			t.Errorf("%s: Internal without the panic's message: %q", metric, st.Message())
		}
		return st.Code()
	}

	// The fault counts requests: the 1st passes, the 2nd panics, the 3rd passes.
	if code := call("before_panic"); code != codes.OK {
		t.Fatalf("first request: %v, want OK", code)
	}
	if code := call("panicking"); code != codes.Internal {
		t.Errorf("the panicking request: %v, want Internal", code)
	}
	if code := call("after_panic"); code != codes.OK {
		t.Errorf("the request after the panic: %v, want OK", code)
	}
	s.waitPoints("before_panic", 1)
	s.waitPoints("after_panic", 1)
	if n := s.be.Points("panicking"); n != 0 {
		t.Errorf("the panicking request's point reached the backend %d times", n)
	}

	// Reported: an error-level entry of the collector's log that names the
	// panic (its message, or its error field, carries the panic's message).
	testkit.Eventually(t, 30*time.Second, "the panic to be logged at error level", func() bool {
		for _, e := range logEntries(s.h) {
			if e["level"] == "error" && strings.Contains(fmt.Sprint(e), "panicked") && strings.Contains(fmt.Sprint(e), "injected-panic") {
				return true
			}
		}
		return false
	})
	select {
	case <-s.h.exited:
		t.Fatalf("the collector exited (%v) after a Rust panic", s.h.waitErr)
	default:
	}
	if !embedded() {
		if pids := procfs.Children(s.h.cmd.Process.Pid); len(pids) != 1 || pids[0] != child {
			t.Errorf("Rust child %d before the panic, children %v after: want the same child, not restarted", child, pids)
		}
	}
	s.stop()
}
