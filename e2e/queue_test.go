package e2e

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/otelcol-hybrid/otelcol-hybrid/internal/testkit"
)

// TestRustExporterQueueRidesOutABackendOutage: with nothing but defaults, a
// Rust otlp_rust exporter queues like a Go exporter does. The backend answers
// Unavailable to the first three requests; telemetrygen (10 s timeout per
// export) still gets OK for every point, and all 300 points arrive once the
// queue's retries (5 s initial backoff) get through.
func TestRustExporterQueueRidesOutABackendOutage(t *testing.T) {
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
	in := testkit.FreeAddr(t)
	h := startHybrid(t, fmt.Sprintf(`
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: %s
processors:
  advanced_filter:
    drop_metrics: [up]
exporters:
  otlp_rust:
    endpoint: %s
    tls:
      insecure: true
service:%s
  pipelines:
    metrics:
      receivers: [otlp]
      processors: [advanced_filter]
      exporters: [otlp_rust]
`, in, be.Addr, quietTelemetry), hybridOpts{})
	h.waitReady()

	run(t, 2*time.Minute, binary(t, "TELEMETRYGEN_BIN"), "metrics", "--otlp-endpoint", in, "--otlp-insecure",
		"--metrics", "300", "--rate", "0", "--otlp-metric-name", "queued_outage")

	testkit.Eventually(t, 60*time.Second, "300 points at the backend", func() bool {
		return be.Points("queued_outage") >= 300
	})
	if n := be.Points("queued_outage"); n != 300 {
		t.Errorf("backend got %d points, want exactly 300", n)
	}
	if n := refused.Load(); n != 3 {
		t.Errorf("the backend refused %d requests, want 3", n)
	}
}
