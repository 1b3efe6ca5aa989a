package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
)

// TestDeadlineBecomesRetryableDeadlineExceeded: the Go bridge
// exporter's timeout (operator setting extensions.rust_subprocess.bridge_timeout)
// arrives in Rust as the request deadline (grpc-timeout); the Rust fault
// processor, delaying longer than that, stops at the deadline and answers
// DeadlineExceeded; the Go exporter treats it as retryable (logs the retry),
// the retry goes through once the fault is spent, and the client's call
// succeeds only then, with the point delivered exactly once.
func TestDeadlineBecomesRetryableDeadlineExceeded(t *testing.T) {
	t.Parallel()
	s := startScenario(t, "bridge_timeout.yaml", scenarioOpts{})
	be, h := s.be, s.h

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	st, took := export(ctx, otlpClient(t, s.grpc), "bridge_deadline")
	if st.Code() != codes.OK {
		t.Fatalf("client got %v after %s, want OK once the retry went through", st, took)
	}
	if got := be.Points("bridge_deadline"); got != 1 {
		t.Fatalf("backend has %d bridge_deadline points, want exactly 1", got)
	}

	// Rust saw the bridge timeout as its deadline…
	delayed := entries(h, true, "fault: delaying request")
	if len(delayed) != 1 {
		t.Fatalf("%d 'fault: delaying request' lines, want 1 (times: 1)", len(delayed))
	}
	if d := num(delayed[0], "deadline_ms"); d <= 1000 || d > 2000 {
		t.Errorf("deadline Rust saw: %vms, want (1000, 2000] from bridge_timeout 2s", d)
	}
	// …stopped at it, after ~2s instead of 20s…
	stopped := entries(h, true, "fault: delay interrupted", "kind", "timeout")
	if len(stopped) != 1 {
		t.Fatalf("%d 'fault: delay interrupted' (timeout) lines, want 1", len(stopped))
	}
	if w := num(stopped[0], "waited_ms"); w < 1000 || w > 2500 {
		t.Errorf("Rust waited %vms before giving up, want ~2000", w)
	}
	failed := entries(h, true, "request failed", "code", "DeadlineExceeded")
	if len(failed) != 1 {
		t.Errorf("%d Rust 'request failed' lines with code DeadlineExceeded, want 1", len(failed))
	}
	// …and Go retried it as a retryable error.
	retries := goEntriesWithError(h, "Exporting failed. Will retry the request after interval.", "DeadlineExceeded")
	if len(retries) != 1 {
		t.Fatalf("%d Go retry lines with DeadlineExceeded, want 1", len(retries))
	}
	msg := retries[0]["error"].(string)
	t.Logf("Go retried after %v: %s (client call took %s)", retries[0]["interval"], msg, took.Round(time.Millisecond))
	if strings.Contains(msg, "not retryable") || len(entries(h, false, "Exporting failed. Dropping data.")) != 0 {
		t.Errorf("Go dropped data for a DeadlineExceeded answer")
	}
}
