package e2e

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/otelcol-hybrid/otelcol-hybrid/internal/testkit"
)

// TestRustExporterQueueRidesOutABackendOutage: with nothing but defaults, a
// Rust otlp_rust exporter queues like a Go exporter does, wherever the
// partitioner puts its queue. The backend answers Unavailable to the first
// three requests; telemetrygen (10 s timeout per export) still gets OK for
// every point, and all 300 points arrive once the retries get through.
func TestRustExporterQueueRidesOutABackendOutage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, placement, log string
	}{
		{"receiver placed in Rust, the child's queue", "true", "receiver otlp runs in the Rust half"},
		{"receiver kept in Go, the bridge's Go queue", "false", "receiver otlp stays in Go"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			be := startBackend(t)
			var refused atomic.Int32
			be.SetMetricFailure(func(name string, attempt int) error {
				if name == "queued_outage" && refused.Load() < 3 {
					refused.Add(1)
					return status.Error(codes.Unavailable, "backend down")
				}
				return nil
			})
			s := startScenario(t, "queue_default.yaml", scenarioOpts{be: be, vars: map[string]string{"PLACEMENT": tc.placement}})
			if !strings.Contains(s.h.out.String(), tc.log) {
				t.Fatalf("the log does not say %q", tc.log)
			}
			s.sendMetrics("queued_outage", 300)

			testkit.Eventually(t, 60*time.Second, "300 points at the backend", func() bool {
				return be.Points("queued_outage") >= 300
			})
			if n := be.Points("queued_outage"); n != 300 {
				t.Errorf("backend got %d points, want exactly 300", n)
			}
			if n := refused.Load(); n != 3 {
				t.Errorf("the backend refused %d requests, want 3", n)
			}
		})
	}
}
