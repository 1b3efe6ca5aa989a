package e2e

import (
	"context"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/otelcol-hybrid/otelcol-hybrid/internal/testkit"
)

// TestCancellationReachesRustWork: a real Go client calls the Go
// receiver; the Go bridge exporter (wait_for_result keeps the caller's
// context) carries the call into a Rust fault processor sleeping 30s.
//   - The client cancels: the cancellation crosses the process boundary
//     (RST_STREAM on the bridge) and the Rust work stops; the latency between
//     the client's cancel and the Rust child noticing is measured from the
//     child's own timestamps.
//   - The client's own 2s deadline (shorter than the 30s bridge timeout)
//     becomes the Rust request's deadline.
//   - Resources are released: no request is left in flight in Rust, so a
//     SIGTERM afterwards stops both processes at once, where a still-running
//     30s sleep would hold the Rust receiver's drain until shutdown_grace.
func TestCancellationReachesRustWork(t *testing.T) {
	t.Parallel()
	s := startScenario(t, "slow_fault.yaml", scenarioOpts{})
	be, h := s.be, s.h
	c := otlpClient(t, s.grpc)

	// 1. Cancellation by the client.
	ctx, cancel := context.WithCancel(context.Background())
	res := make(chan codes.Code, 1)
	go func() { st, _ := export(ctx, c, "cancelled_by_client"); res <- st.Code() }()
	testkit.Eventually(t, 30*time.Second, "the request to reach the Rust fault", func() bool {
		return len(entries(h, true, "fault: delaying request")) == 1
	})
	if d := num(entries(h, true, "fault: delaying request")[0], "deadline_ms"); d < 25_000 || d > 30_000 {
		t.Errorf("without a client deadline Rust should see the 30s bridge timeout, saw %vms", d)
	}
	// The fault logged the start of its 30s delay: the request is inside it.
	cancelAt := time.Now()
	cancel()
	if code := <-res; code != codes.Canceled {
		t.Errorf("client got %v, want Canceled", code)
	}
	var stopped []map[string]any
	testkit.Eventually(t, 10*time.Second, "Rust to notice the cancellation", func() bool {
		stopped = entries(h, true, "fault: delay interrupted", "kind", "cancelled")
		return len(stopped) == 1
	})
	latency := childTime(t, stopped[0]).Sub(cancelAt)
	t.Logf("Go client cancel → Rust work cancelled: %s", latency.Round(10*time.Microsecond))
	if latency > time.Second {
		t.Errorf("Rust noticed the cancellation %s after the client cancelled, want promptly (< 1s)", latency)
	}

	// 2. The client's own deadline travels to Rust.
	dctx, dcancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer dcancel()
	st, took := export(dctx, c, "client_deadline")
	if st.Code() != codes.DeadlineExceeded {
		t.Errorf("client with a 2s deadline got %v, want DeadlineExceeded", st)
	}
	// Rust stops at the deadline it was given, or, when the machine is busy,
	// at the cancellation Go sends once the same deadline passes on its side:
	// either way the second request ends in Rust within the client's 2s.
	var interrupted []map[string]any
	testkit.Eventually(t, 10*time.Second, "the second request to end in Rust", func() bool {
		interrupted = entries(h, true, "fault: delay interrupted")
		return len(interrupted) == 2
	})
	second := interrupted[1]
	delayed := entries(h, true, "fault: delaying request")
	if d := num(delayed[len(delayed)-1], "deadline_ms"); d <= 0 || d > 2000 {
		t.Errorf("Rust deadline for a client with a 2s deadline: %vms, want ≤ 2000", d)
	}
	if w := num(second, "waited_ms"); w > 2500 {
		t.Errorf("Rust held the request %vms, past the client's 2s deadline", w)
	}
	t.Logf("client deadline 2s: call returned after %s; Rust saw deadline %vms and stopped after %vms (%v)",
		took.Round(time.Millisecond), num(delayed[len(delayed)-1], "deadline_ms"), num(second, "waited_ms"), second["kind"])
	if be.Points("cancelled_by_client")+be.Points("client_deadline") != 0 {
		t.Errorf("cancelled work reached the backend")
	}

	// 3. Nothing left in flight (Rust logged the end of both delays above):
	// SIGTERM stops everything promptly.
	termAt := time.Now()
	_ = h.cmd.Process.Signal(syscall.SIGTERM)
	if code := h.wait(60 * time.Second); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	stop := time.Since(termAt)
	t.Logf("SIGTERM → exit: %s", stop.Round(time.Millisecond))
	if len(entries(h, true, "otlp receiver stopped"))+len(entries(h, true, "ffi_bridge receiver stopped")) == 0 {
		t.Errorf("the Rust bridge receiver did not report stopping")
	}
	if stop > 8*time.Second {
		t.Errorf("shutdown took %s: cancelled Rust work was still holding the receiver's drain", stop)
	}
}
