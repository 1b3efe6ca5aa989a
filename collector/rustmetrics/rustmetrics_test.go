package rustmetrics

import (
	"context"
	"errors"
	"testing"

	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// childSnapshot builds what otelcol-rust answers: one instance, counters as
// cumulative sums, one bridge histogram.
type childSnapshot struct {
	instance string
	sent     int64
	failed   map[string]int64 // error.type → items
	hops     []uint64
	hopSum   float64
	queue    int64 // > 0: the exporter has a sending queue holding this much
}

func (c childSnapshot) encode(t *testing.T) []byte {
	t.Helper()
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.instance.id", c.instance)
	ms := rm.ScopeMetrics().AppendEmpty().Metrics()
	sent := ms.AppendEmpty()
	sent.SetName("otelcol_exporter_sent_metric_points")
	dp := sent.SetEmptySum().DataPoints().AppendEmpty()
	dp.Attributes().PutStr("exporter", "otlp_rust/back")
	dp.SetIntValue(c.sent)
	failed := ms.AppendEmpty()
	failed.SetName("otelcol_exporter_send_failed_metric_points")
	fdps := failed.SetEmptySum().DataPoints()
	for ty, n := range c.failed {
		dp := fdps.AppendEmpty()
		dp.Attributes().PutStr("exporter", "otlp_rust/back")
		dp.Attributes().PutStr("error.type", ty)
		dp.Attributes().PutBool("error.permanent", ty == "InvalidArgument")
		dp.SetIntValue(n)
	}
	if c.queue > 0 {
		q := ms.AppendEmpty()
		q.SetName("otelcol_exporter_queue_size")
		qdp := q.SetEmptyGauge().DataPoints().AppendEmpty()
		qdp.Attributes().PutStr("exporter", "otlp_rust/back")
		qdp.Attributes().PutStr("data_type", "metrics")
		qdp.SetIntValue(c.queue)
	}
	if c.hops != nil {
		h := ms.AppendEmpty()
		h.SetName(bridgeDuration)
		hdp := h.SetEmptyHistogram().DataPoints().AppendEmpty()
		hdp.Attributes().PutStr("bridge", "bridge_0")
		hdp.ExplicitBounds().FromRaw(hopBounds)
		hdp.BucketCounts().FromRaw(c.hops)
		hdp.SetSum(c.hopSum)
	}
	b, err := pmetricotlp.NewExportRequestFromMetrics(md).MarshalProto()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type fakeChild struct {
	t    *testing.T
	snap *childSnapshot // nil: the child is down
}

func (f *fakeChild) call(context.Context) ([]byte, error) {
	if f.snap == nil {
		return nil, errors.New("no child")
	}
	return f.snap.encode(f.t), nil
}

func collect(t *testing.T, r *sdkmetric.ManualReader) map[string][]metricdata.DataPoint[int64] {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string][]metricdata.DataPoint[int64]{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if s, ok := m.Data.(metricdata.Sum[int64]); ok {
				out[m.Name] = append(out[m.Name], s.DataPoints...)
			}
		}
	}
	return out
}

func TestRustCountersStayMonotonicAcrossChildRestarts(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	child := &fakeChild{t: t, snap: &childSnapshot{instance: "a", sent: 10}}
	m, err := Register(mp, "normal", child.call)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Unregister()
	sent := func() int64 {
		dps := collect(t, reader)["otelcol_exporter_sent_metric_points"]
		if len(dps) != 1 {
			t.Fatalf("sent series: %v", dps)
		}
		if v, _ := dps[0].Attributes.Value("exporter"); v.AsString() != "otlp_rust/back" {
			t.Fatalf("exporter attribute: %v", dps[0].Attributes)
		}
		return dps[0].Value
	}
	if got := sent(); got != 10 {
		t.Fatalf("sent %d, want 10", got)
	}
	child.snap = nil // killed: the last value stands
	if got := sent(); got != 10 {
		t.Fatalf("sent %d while the child is down, want 10", got)
	}
	child.snap = &childSnapshot{instance: "b", sent: 3} // restarted from zero
	if got := sent(); got != 13 {
		t.Fatalf("sent %d after a restart, want 10 + 3", got)
	}
	child.snap.sent = 5
	if got := sent(); got != 15 {
		t.Fatalf("sent %d, want 15", got)
	}
}

func TestFailureAttributesOnlyAtDetailedLevel(t *testing.T) {
	snap := &childSnapshot{instance: "a", failed: map[string]int64{"Unavailable": 2, "InvalidArgument": 3}}
	for _, tc := range []struct {
		level  string
		series int
	}{{"normal", 1}, {"basic", 1}, {"detailed", 2}} {
		reader := sdkmetric.NewManualReader()
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
		m, err := Register(mp, tc.level, (&fakeChild{t: t, snap: snap}).call)
		if err != nil {
			t.Fatal(err)
		}
		dps := collect(t, reader)["otelcol_exporter_send_failed_metric_points"]
		m.Unregister()
		if len(dps) != tc.series {
			t.Fatalf("%s: %d failure series, want %d: %v", tc.level, len(dps), tc.series, dps)
		}
		var total int64
		for _, dp := range dps {
			total += dp.Value
			_, hasType := dp.Attributes.Value(attribute.Key("error.type"))
			if hasType != (tc.level == "detailed") {
				t.Fatalf("%s: error.type present = %v", tc.level, hasType)
			}
		}
		if total != 5 {
			t.Fatalf("%s: %d failed items, want 5", tc.level, total)
		}
	}
}

func TestLevelNoneRegistersNothing(t *testing.T) {
	m, err := Register(sdkmetric.NewMeterProvider(), "None", nil)
	if m != nil || err != nil {
		t.Fatalf("got %v, %v", m, err)
	}
	if got := Level(map[string]any{}); got != "normal" {
		t.Fatalf("default level %q", got)
	}
}

func TestBridgeHopsKeepTheChildsBucketsAndSum(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	hops := make([]uint64, len(hopBounds)+1)
	hops[1], hops[3] = 2, 1 // two in (50µs, 100µs], one in (250µs, 500µs]
	child := &fakeChild{t: t, snap: &childSnapshot{instance: "a", hops: hops, hopSum: 0.00016 + 0.0004}}
	m, err := Register(mp, "normal", child.call)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Unregister()
	collect(t, reader) // reads the snapshot and records the hops
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	for _, sm := range rm.ScopeMetrics {
		for _, mt := range sm.Metrics {
			h, ok := mt.Data.(metricdata.Histogram[float64])
			if !ok || mt.Name != bridgeDuration {
				continue
			}
			dp := h.DataPoints[0]
			if dp.Count != 3 || dp.BucketCounts[1] != 2 || dp.BucketCounts[3] != 1 {
				t.Fatalf("buckets %v count %d", dp.BucketCounts, dp.Count)
			}
			if d := dp.Sum - 0.00056; d > 1e-9 || d < -1e-9 {
				t.Fatalf("sum %v, want 0.00056", dp.Sum)
			}
			return
		}
	}
	t.Fatal("no bridge histogram")
}

func TestQueueGaugesAreTheChildsCurrentValues(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	child := &fakeChild{t: t, snap: &childSnapshot{instance: "a", queue: 7}}
	m, err := Register(mp, "normal", child.call)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Unregister()
	queue := func() (int64, bool) {
		var rm metricdata.ResourceMetrics
		if err := reader.Collect(context.Background(), &rm); err != nil {
			t.Fatal(err)
		}
		for _, sm := range rm.ScopeMetrics {
			for _, mt := range sm.Metrics {
				if g, ok := mt.Data.(metricdata.Gauge[int64]); ok && mt.Name == "otelcol_exporter_queue_size" && len(g.DataPoints) == 1 {
					return g.DataPoints[0].Value, true
				}
			}
		}
		return 0, false
	}
	if v, ok := queue(); !ok || v != 7 {
		t.Fatalf("queue size %d (present %v), want 7", v, ok)
	}
	child.snap = &childSnapshot{instance: "a", queue: 2}
	if v, _ := queue(); v != 2 {
		t.Fatalf("queue size %d, want the current 2, not a sum", v)
	}
	child.snap = nil
	if _, ok := queue(); ok {
		t.Fatal("a dead child has no queue")
	}
}

func TestRustIDsBecomeTheUsers(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	child := &fakeChild{t: t, snap: &childSnapshot{instance: "a", sent: 4}}
	m, err := RegisterNamed(mp, "normal", map[string]string{"exporter:otlp_rust/back": "mine/back"}, child.call)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Unregister()
	dps := collect(t, reader)["otelcol_exporter_sent_metric_points"]
	if len(dps) != 1 {
		t.Fatalf("series %v", dps)
	}
	if v, _ := dps[0].Attributes.Value("exporter"); v.AsString() != "mine/back" {
		t.Fatalf("exporter %q, want the user's id", v.AsString())
	}
}
