// Package rustmetrics serves the Rust half's component counters through the
// collector's own MeterProvider, on the Go collector's instruments, from
// snapshots the Rust half hands over as an OTLP ExportMetricsServiceRequest
// (over the child's health socket in subprocess mode, through the C ABI in
// embedded mode: the caller says how to fetch one).
package rustmetrics

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// SnapshotMethod is otelcol-rust's gRPC method on its health listener that
// answers with every component counter as an OTLP ExportMetricsServiceRequest
// (the request body is ignored).
const SnapshotMethod = "/otelcol_hybrid.telemetry.v1.Telemetry/Snapshot"

// Fetch returns one encoded snapshot of the Rust half's counters.
type Fetch func(ctx context.Context) ([]byte, error)

// rustMeterName is the scope the Rust half's series carry in OTLP readers;
// the Prometheus reader merges them into the Go components' families.
const rustMeterName = "github.com/otelcol-hybrid/otelcol-hybrid/rust"

// bridgeDuration is the Rust half's bridge latency histogram.
const bridgeDuration = "otelcol_hybrid_bridge_duration"

// snapshotTimeout bounds one read of the child's counters at collection time;
// past it the last values read are reported.
const snapshotTimeout = time.Second

type counterSpec struct{ name, desc, unit string }

// rustCounters are the Go collector's own instruments (receiverhelper,
// processorhelper, exporterhelper v0.162.0), same names, descriptions and
// units, so that each Prometheus family holds Go and Rust components alike.
func rustCounters() []counterSpec {
	type sig struct{ suffix, what, sentWhat, unit string }
	sigs := []sig{
		{"spans", "spans", "spans", "{span}"},
		{"metric_points", "metric points", "metric points", "{datapoint}"},
		{"log_records", "log records", "log record", "{record}"},
	}
	var out []counterSpec
	for _, s := range sigs {
		out = append(out,
			counterSpec{"otelcol_receiver_accepted_" + s.suffix, "Number of " + s.what + " successfully pushed into the pipeline. [Alpha]", s.unit},
			counterSpec{"otelcol_receiver_refused_" + s.suffix, "Number of " + s.what + " that could not be pushed into the pipeline. [Alpha]", s.unit},
			counterSpec{"otelcol_receiver_failed_" + s.suffix, "The number of " + s.what + " that failed to be processed by the receiver due to internal errors. [Alpha]", s.unit},
			counterSpec{"otelcol_exporter_sent_" + s.suffix, "Number of " + s.sentWhat + " successfully sent to destination. [Alpha]", s.unit},
			counterSpec{"otelcol_exporter_send_failed_" + s.suffix, "Number of " + s.what + " in failed attempts to send to destination. At detailed telemetry level, includes attributes: error.type (semantic convention), error.permanent. [Alpha]", s.unit},
			counterSpec{"otelcol_exporter_enqueue_failed_" + s.suffix, "Number of " + s.what + " failed to be added to the sending queue. [Alpha]", s.unit},
		)
	}
	return append(out,
		counterSpec{"otelcol_processor_incoming_items", "Number of items passed to the processor. [Alpha]", "{item}"},
		counterSpec{"otelcol_processor_outgoing_items", "Number of items emitted from the processor. [Alpha]", "{item}"},
	)
}

// rustGauges are exporterhelper's queue gauges, for Rust exporters with a
// sending queue.
func rustGauges() []counterSpec {
	return []counterSpec{
		{"otelcol_exporter_queue_size", "Current size of the retry queue (in batches). [Alpha]", "{batch}"},
		{"otelcol_exporter_queue_capacity", "Fixed capacity of the retry queue (in batches). [Alpha]", "{batch}"},
	}
}

type seriesKey struct {
	name  string
	attrs attribute.Distinct
}

// Metrics turns snapshots of the Rust half's counters into observations.
// Counters stay monotonic across child restarts: when the snapshot's
// instance changes, the last values of the previous child are folded into
// a base the new child's values are added to.
type Metrics struct {
	fetch    Fetch
	detailed bool
	names    map[string]string

	counters map[string]metric.Int64ObservableCounter
	gauges   map[string]metric.Int64ObservableGauge
	hop      metric.Float64Histogram
	reg      metric.Registration

	mu       sync.Mutex
	instance string
	last     map[seriesKey]int64
	base     map[seriesKey]int64
	attrs    map[seriesKey]attribute.Set
	current  map[seriesKey]int64 // gauges: the last snapshot's values only
	hopLast  map[seriesKey][]uint64
	hopSum   map[seriesKey]float64
}

// Register adds the Rust half's series to mp, read with fetch at each
// collection. level is service::telemetry::metrics::level; at none nothing is
// registered and Register returns nil (whose Unregister does nothing).
func Register(mp metric.MeterProvider, level string, fetch Fetch) (*Metrics, error) {
	return RegisterNamed(mp, level, nil, fetch)
}

// RegisterNamed is Register with the user's ids of the Rust components that
// run under another id in the Rust half: names maps "<kind>:<Rust id>" (kind
// receiver, processor or exporter) to the id the user wrote.
func RegisterNamed(mp metric.MeterProvider, level string, names map[string]string, fetch Fetch) (*Metrics, error) {
	if mp == nil || strings.EqualFold(level, "none") {
		return nil, nil
	}
	m := &Metrics{
		fetch: fetch, detailed: strings.EqualFold(level, "detailed"), names: names,
		counters: map[string]metric.Int64ObservableCounter{}, gauges: map[string]metric.Int64ObservableGauge{},
		current: map[seriesKey]int64{},
		last:    map[seriesKey]int64{}, base: map[seriesKey]int64{}, attrs: map[seriesKey]attribute.Set{},
		hopLast: map[seriesKey][]uint64{}, hopSum: map[seriesKey]float64{},
	}
	meter := mp.Meter(rustMeterName)
	var insts []metric.Observable
	for _, c := range rustCounters() {
		inst, err := meter.Int64ObservableCounter(c.name, metric.WithDescription(c.desc), metric.WithUnit(c.unit))
		if err != nil {
			return nil, err
		}
		m.counters[c.name] = inst
		insts = append(insts, inst)
	}
	for _, g := range rustGauges() {
		inst, err := meter.Int64ObservableGauge(g.name, metric.WithDescription(g.desc), metric.WithUnit(g.unit))
		if err != nil {
			return nil, err
		}
		m.gauges[g.name] = inst
		insts = append(insts, inst)
	}
	var err error
	m.hop, err = meter.Float64Histogram(bridgeDuration,
		metric.WithDescription("Time a request spends on a bridge between the Go and Rust halves, seen from the Rust end: "+
			"go_to_rust from the Rust bridge receiver taking the request to the Rust half answering it, "+
			"rust_to_go the Rust bridge exporter's round trip to the Go half."),
		metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(hopBounds...))
	if err != nil {
		return nil, err
	}
	m.reg, err = meter.RegisterCallback(m.observe, insts...)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// hopBounds are otelcol-rust's bridge histogram bounds (series.rs HOP_BOUNDS):
// with the same buckets, replayed counts land exactly where the child put them.
var hopBounds = []float64{0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1}

// Unregister stops reporting the series.
func (m *Metrics) Unregister() {
	if m != nil && m.reg != nil {
		_ = m.reg.Unregister()
	}
}

func (m *Metrics) observe(ctx context.Context, o metric.Observer) error {
	cctx, cancel := context.WithTimeout(ctx, snapshotTimeout)
	raw, err := m.fetch(cctx)
	cancel()
	m.mu.Lock()
	defer m.mu.Unlock()
	if err == nil {
		if err := m.apply(raw); err != nil {
			return err
		}
	} else {
		m.current = map[seriesKey]int64{} // no child, no queue
	}
	// The child down or slow: its last values stand, as a crashed Go
	// component's counters would stay at what they had reached.
	for k, attrs := range m.attrs {
		if g, ok := m.gauges[k.name]; ok {
			if v, ok := m.current[k]; ok {
				o.ObserveInt64(g, v, metric.WithAttributeSet(attrs))
			}
			continue
		}
		o.ObserveInt64(m.counters[k.name], m.base[k]+m.last[k], metric.WithAttributeSet(attrs))
	}
	return nil
}

// apply reads one snapshot; called with mu held.
func (m *Metrics) apply(raw []byte) error {
	req := pmetricotlp.NewExportRequest()
	if err := req.UnmarshalProto(raw); err != nil {
		return fmt.Errorf("otelcol-rust metrics snapshot: %w", err)
	}
	md := req.Metrics()
	if md.ResourceMetrics().Len() == 0 {
		return nil
	}
	rm := md.ResourceMetrics().At(0)
	instance := ""
	if v, ok := rm.Resource().Attributes().Get("service.instance.id"); ok {
		instance = v.Str()
	}
	if instance != m.instance {
		for k, v := range m.last {
			m.base[k] += v
		}
		m.last = map[seriesKey]int64{}
		m.hopLast = map[seriesKey][]uint64{}
		m.hopSum = map[seriesKey]float64{}
		m.instance = instance
	}
	current := map[seriesKey]int64{}
	// A gauge is what the child says now; one it no longer reports is gone.
	m.current = map[seriesKey]int64{}
	sms := rm.ScopeMetrics()
	for i := 0; i < sms.Len(); i++ {
		ms := sms.At(i).Metrics()
		for j := 0; j < ms.Len(); j++ {
			m.applyMetric(ms.At(j), current)
		}
	}
	for k, v := range current {
		m.last[k] = v
	}
	return nil
}

func (m *Metrics) applyMetric(mt pmetric.Metric, current map[seriesKey]int64) {
	switch mt.Type() {
	case pmetric.MetricTypeSum:
		if _, known := m.counters[mt.Name()]; !known {
			return
		}
		dps := mt.Sum().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			dp := dps.At(i)
			attrs := m.attributes(mt.Name(), dp.Attributes())
			k := seriesKey{mt.Name(), attrs.Equivalent()}
			// Below detailed, failures of every type add up in one series, as
			// the collector's view on exporterhelper drops error.type/permanent.
			current[k] += dp.IntValue()
			m.attrs[k] = attrs
		}
	case pmetric.MetricTypeGauge:
		if _, known := m.gauges[mt.Name()]; !known {
			return
		}
		dps := mt.Gauge().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			dp := dps.At(i)
			attrs := m.attributes(mt.Name(), dp.Attributes())
			k := seriesKey{mt.Name(), attrs.Equivalent()}
			m.current[k] = dp.IntValue()
			m.attrs[k] = attrs
		}
	case pmetric.MetricTypeHistogram:
		if mt.Name() == bridgeDuration {
			m.replayHops(mt.Histogram().DataPoints())
		}
	}
}

func (m *Metrics) attributes(name string, in pcommon.Map) attribute.Set {
	kvs := make([]attribute.KeyValue, 0, in.Len())
	dropFailure := !m.detailed && strings.HasPrefix(name, "otelcol_exporter_send_failed_")
	for k, v := range in.All() {
		if dropFailure && (k == "error.type" || k == "error.permanent") {
			continue
		}
		if v.Type() == pcommon.ValueTypeStr {
			if user, ok := m.names[k+":"+v.Str()]; ok {
				kvs = append(kvs, attribute.String(k, user))
				continue
			}
		}
		switch v.Type() {
		case pcommon.ValueTypeBool:
			kvs = append(kvs, attribute.Bool(k, v.Bool()))
		case pcommon.ValueTypeInt:
			kvs = append(kvs, attribute.Int64(k, v.Int()))
		default:
			kvs = append(kvs, attribute.String(k, v.AsString()))
		}
	}
	return attribute.NewSet(kvs...)
}

// replayHops records, for each bucket, as many values as the child counted
// since the last snapshot, spread inside the bucket so that their sum is the
// child's sum: the collector's histogram then has the child's exact counts
// (same bounds) and sum. There is no observable histogram to report them with.
func (m *Metrics) replayHops(dps pmetric.HistogramDataPointSlice) {
	for i := 0; i < dps.Len(); i++ {
		dp := dps.At(i)
		attrs := m.attributes(bridgeDuration, dp.Attributes())
		k := seriesKey{bridgeDuration, attrs.Equivalent()}
		counts := dp.BucketCounts().AsRaw()
		bounds := dp.ExplicitBounds().AsRaw()
		prev := m.hopLast[k]
		delta := make([]uint64, len(counts))
		var lo, hi float64
		for b := range counts {
			if b < len(prev) && counts[b] >= prev[b] {
				delta[b] = counts[b] - prev[b]
			} else {
				delta[b] = counts[b]
			}
			l, h := bucketRange(bounds, b)
			lo += float64(delta[b]) * l
			hi += float64(delta[b]) * h
		}
		sum := dp.Sum() - m.hopSum[k]
		m.hopLast[k] = counts
		m.hopSum[k] = dp.Sum()
		t := 0.5
		if hi > lo {
			t = min(max((sum-lo)/(hi-lo), 0), 1)
		}
		opt := metric.WithAttributeSet(attrs)
		for b, n := range delta {
			l, h := bucketRange(bounds, b)
			v := l + t*(h-l)
			if b > 0 && v <= l {
				v = math.Nextafter(l, h) // buckets are (lower, upper]
			}
			for range n {
				m.hop.Record(context.Background(), v, opt)
			}
		}
	}
}

// bucketRange is bucket b's (lower, upper] in seconds; the overflow bucket
// is taken as twice its lower bound wide.
func bucketRange(bounds []float64, b int) (float64, float64) {
	lo := 0.0
	if b > 0 && b-1 < len(bounds) {
		lo = bounds[b-1]
	}
	if b < len(bounds) {
		return lo, bounds[b]
	}
	return lo, 2 * lo
}

// Level is service::telemetry::metrics::level as the converter passed it to
// the Rust half (its config); the collector's default, normal, when absent.
func Level(rust map[string]any) string {
	svc, _ := rust["service"].(map[string]any)
	tel, _ := svc["telemetry"].(map[string]any)
	mt, _ := tel["metrics"].(map[string]any)
	if l, _ := mt["level"].(string); l != "" {
		return l
	}
	return "normal"
}
