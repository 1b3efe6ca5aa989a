package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"

	"github.com/otelcol-hybrid/otelcol-hybrid/internal/testkit"
)

// TestRustLogLinesUnderTheCollectorsLogSettings: with the collector's
// default logs (info, sampling 10 a second of one message, then 1 in 100),
//   - rust_debug's 60 "metric" lines of one request all reach the log;
//   - a Rust target given debug in rust_subprocess logs.levels (the fault
//     processor) shows its debug lines, one per request;
//   - other Rust debug lines (the otlp receiver's) stay below the level.
func TestRustLogLinesUnderTheCollectorsLogSettings(t *testing.T) {
	t.Parallel()
	const items, requests = 60, 4
	s := startScenario(t, "telemetry_logs.yaml", scenarioOpts{})
	h := s.h
	c := otlpClient(t, s.grpc)

	md := pmetric.NewMetrics()
	ms := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics()
	for i := range items {
		m := ms.AppendEmpty()
		m.SetName(fmt.Sprintf("item_%02d", i))
		m.SetEmptyGauge().DataPoints().AppendEmpty().SetIntValue(int64(i))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.Export(ctx, pmetricotlp.NewExportRequestFromMetrics(md)); err != nil {
		t.Fatal(err)
	}
	for range requests - 1 {
		if st, _ := export(ctx, c, "one_more"); st.Err() != nil {
			t.Fatal(st)
		}
	}

	testkit.Eventually(t, 10*time.Second, fmt.Sprintf("%d rust_debug lines and %d fault debug lines", items+requests-1, requests), func() bool {
		metric := len(entries(h, true, "metric"))
		passed := len(entries(h, true, "fault: passing request through", "processor", "fault"))
		return metric == items+requests-1 && passed == requests
	})
	if n := len(entries(h, true, "request accepted")); n != 0 {
		t.Errorf("%d debug lines of a target left at the collector's level (the otlp receiver's)", n)
	}
}
