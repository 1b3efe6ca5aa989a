package e2e

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"
)

// TestPhase5ShutdownCancelsInFlightRustWork is the shutdown half of the
// cancellation row, and a KNOWN GAP: on SIGTERM the Go otlp receiver's
// GracefulStop waits for the in-flight RPC, which waits (wait_for_result) on
// the bridge exporter, which keeps retrying; nothing cancels the Rust work,
// which runs to the bridge deadline and is then retried. Measured: no exit
// within 60s with a 30s fault delay. The pure Go collector behaves the same
// (receiver → exporter with wait_for_result to a slow backend). Skipped unless
// OTELCOL_HYBRID_E2E_KNOWN_GAPS=1, so it can be turned on once fixed.
func TestPhase5ShutdownCancelsInFlightRustWork(t *testing.T) {
	if os.Getenv("OTELCOL_HYBRID_E2E_KNOWN_GAPS") != "1" {
		t.Skip("known gap: Go shutdown does not cancel in-flight bridge requests (set OTELCOL_HYBRID_E2E_KNOWN_GAPS=1 to run)")
	}
	be := startBackend(t)
	in := freePort(t)
	h := startHybrid(t, slowFaultConfig(in, be.Addr), hybridOpts{})
	h.waitReady()
	c := otlpClient(t, in)
	go export(context.Background(), c, "p5_shutdown")
	eventually(t, 30*time.Second, "the request in Rust", func() bool { return len(entries(h, true, "fault: delaying request")) == 1 })
	termAt := time.Now()
	h.cmd.Process.Signal(syscall.SIGTERM)
	h.wait(20 * time.Second)
	stopped := entries(h, true, "fault: delay interrupted", "kind", "cancelled")
	if len(stopped) == 0 {
		t.Fatalf("the in-flight Rust work was not cancelled by the shutdown")
	}
	t.Logf("SIGTERM → Rust work cancelled: %s", childTime(t, stopped[0]).Sub(termAt))
}
