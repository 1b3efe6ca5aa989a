package supervisor

import (
	"context"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

func TestMetricsFollowStatus(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	h := newHarness(t)
	h.cfg.MeterProvider = sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	s := h.start()
	got := collect(t, reader)
	if got["supervisor.child.up"] != 1 || got["supervisor.child.state"] != int64(StateReady) ||
		got["supervisor.child.restarts"] != 0 || got["supervisor.child.last_exit_code"] != -1 {
		t.Fatalf("while ready: %v", got)
	}
	shutdown(t, s)
	// The callback is unregistered on Shutdown: nothing stale is exported.
	if got := collect(t, reader); len(got) != 0 {
		t.Fatalf("after Shutdown: %v", got)
	}
}

func collect(t *testing.T, r *sdkmetric.ManualReader) map[string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Gauge[int64]:
				for _, p := range d.DataPoints {
					out[m.Name] = p.Value
				}
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					out[m.Name] = p.Value
				}
			}
		}
	}
	return out
}
