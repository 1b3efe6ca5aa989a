package e2e

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/otelcol-hybrid/otelcol-hybrid/internal/testkit"
)

// TestShutdownCancelsInFlightRustWork is the shutdown half of the
// cancellation row. A request sits in a Rust fault processor holding it for
// 30s; SIGTERM must cancel it at once (bridge_cancel, when the service reports
// its first component Stopping), the client must get a retryable Unavailable
// naming the shutdown (so nothing it sent is lost), the backend must receive
// nothing, and the collector must exit cleanly well before the 30s delay.
// Before bridge_cancel the Go receiver's graceful stop waited on the bridge
// exporter's retries: no exit within 60s.
func TestShutdownCancelsInFlightRustWork(t *testing.T) {
	t.Parallel()
	s := startScenario(t, "slow_fault.yaml", scenarioOpts{})
	be, h := s.be, s.h
	c := otlpClient(t, s.grpc)
	type result struct {
		st  *status.Status
		dur time.Duration
	}
	res := make(chan result, 1)
	go func() {
		st, d := export(context.Background(), c, "in_flight_at_shutdown")
		res <- result{st, d}
	}()
	testkit.Eventually(t, 30*time.Second, "the request in Rust", func() bool { return len(entries(h, true, "fault: delaying request")) == 1 })
	termAt := time.Now()
	if err := h.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var r result
	select {
	case r = <-res:
	case <-time.After(10 * time.Second):
		t.Fatal("the client got no answer within 10s of SIGTERM")
	}
	answered := time.Since(termAt)
	if r.st.Code() != codes.Unavailable || !strings.Contains(r.st.Message(), "shutting down") {
		t.Fatalf("client got %v %q, want Unavailable (retryable) saying the collector is shutting down", r.st.Code(), r.st.Message())
	}
	h.wait(10 * time.Second)
	exited := time.Since(termAt)
	if code := h.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit code %d after SIGTERM, want 0", code)
	}
	stopped := entries(h, true, "fault: delay interrupted", "kind", "cancelled")
	if len(stopped) != 1 {
		t.Fatalf("want the in-flight Rust work cancelled once, found %d log entries", len(stopped))
	}
	if n := be.Points("in_flight_at_shutdown"); n != 0 {
		t.Fatalf("the backend received %d points of a request the client was told failed", n)
	}
	t.Logf("SIGTERM → Rust work cancelled in %s, client answered (Unavailable) in %s, collector exited in %s",
		childTime(t, stopped[0]).Sub(termAt), answered.Round(time.Millisecond), exited.Round(time.Millisecond))
}

// TestShutdownStillFlushesAcknowledgedData is the other side of the
// shutdown cancellation: data a Go batch processor already acknowledged to
// its client is flushed through the bridge while the collector stops, not
// cancelled (that would lose it: the client will not resend).
func TestShutdownStillFlushesAcknowledgedData(t *testing.T) {
	t.Parallel()
	s := startScenario(t, "batch_held.yaml", scenarioOpts{})
	be, h := s.be, s.h
	c := otlpClient(t, s.grpc)
	for range 3 {
		if st, _ := export(context.Background(), c, "acked_before_shutdown"); st.Code() != codes.OK {
			t.Fatalf("export: %v", st.Err())
		}
	}
	if n := be.Points("acked_before_shutdown"); n != 0 {
		t.Fatalf("the batch processor sent %d points before shutdown; the test needs them held", n)
	}
	if err := h.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	h.wait(20 * time.Second)
	if code := h.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit code %d after SIGTERM, want 0", code)
	}
	if n := be.Points("acked_before_shutdown"); n != 3 {
		t.Fatalf("backend got %d of the 3 acknowledged points after shutdown", n)
	}
}
