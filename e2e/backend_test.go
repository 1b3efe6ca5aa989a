package e2e

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/otelcol-hybrid/otelcol-hybrid/internal/testkit/otlpbackend"
)

// backend is a real OTLP/gRPC server standing in for the user's observability
// backend: it counts what arrives per metric/span name and log body, counts
// duplicates of the "seq" attribute, and records request metadata.
type backend struct {
	Addr string

	mu       sync.Mutex
	points   map[string]int // metric name → data points
	spans    map[string]int // span name → spans
	logs     map[string]int // log body → records
	seqSeen  map[int64]int  // "seq" attribute → times seen
	metadata []metadata.MD
	spanRecs []spanRec    // every span received, in order
	failNext func() error // optional: error to return instead of accepting
	srv      *grpc.Server

	// metricReqs records every metrics Export call (accepted or refused) and
	// failMetric, when set, may refuse one: it gets the request's first metric
	// name and the 1-based attempt number for that name.
	metricReqs     []metricReq
	metricAttempts map[string]int
	failMetric     func(name string, attempt int) error
}

// spanRec is one span as the backend received it (ids in hex).
type spanRec struct {
	Name, Service, Scope      string
	Kind                      ptrace.SpanKind
	TraceID, SpanID, ParentID string
	StatusCode                ptrace.StatusCode
	Attrs                     map[string]any
}

// SpanRecs returns a copy of every span received so far.
func (b *backend) SpanRecs() []spanRec {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]spanRec(nil), b.spanRecs...)
}

// metricReq is one metrics Export call as the backend saw it.
type metricReq struct {
	Name    string // first metric name in the request
	MD      metadata.MD
	At      time.Time
	Refused error
}

func startBackend(t *testing.T) *backend {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &backend{
		Addr: l.Addr().String(), points: map[string]int{}, spans: map[string]int{},
		logs: map[string]int{}, seqSeen: map[int64]int{},
	}
	b.srv = otlpbackend.Serve(l, otlpbackend.Handlers{Traces: b.exportTraces, Metrics: b.exportMetrics, Logs: b.exportLogs})
	t.Cleanup(b.srv.Stop)
	return b
}

func (b *backend) record(ctx context.Context) error {
	md, _ := metadata.FromIncomingContext(ctx)
	b.metadata = append(b.metadata, md.Copy())
	if b.failNext != nil {
		return b.failNext()
	}
	return nil
}

func (b *backend) Points(name string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.points[name]
}

func (b *backend) Spans(name string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.spans[name]
}

func (b *backend) SpanNames() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var names []string
	for n := range b.spans {
		names = append(names, n)
	}
	return names
}

func (b *backend) Logs(body string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.logs[body]
}

// Seqs returns how many distinct seq values arrived and how many arrived more than once.
func (b *backend) Seqs() (distinct, duplicates int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, n := range b.seqSeen {
		distinct++
		duplicates += n - 1
	}
	return distinct, duplicates
}

func (b *backend) MissingSeqs(upTo int64) []int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	var missing []int64
	for i := int64(0); i < upTo; i++ {
		if b.seqSeen[i] == 0 {
			missing = append(missing, i)
		}
	}
	return missing
}

func (b *backend) LastMetadata() metadata.MD {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.metadata) == 0 {
		return nil
	}
	return b.metadata[len(b.metadata)-1]
}

func (b *backend) exportMetrics(ctx context.Context, md pmetric.Metrics) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.record(ctx); err != nil {
		return err
	}
	if err := b.recordMetricReq(ctx, md); err != nil {
		return err
	}
	for m := range otlpbackend.Metrics(md) {
		b.points[m.Name()] += dataPointCount(m)
		forEachPointAttrs(m, func(attrs pcommon.Map) {
			if v, ok := attrs.Get("seq"); ok {
				b.seqSeen[v.Int()]++
			}
		})
	}
	return nil
}

func dataPointCount(m pmetric.Metric) int {
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		return m.Gauge().DataPoints().Len()
	case pmetric.MetricTypeSum:
		return m.Sum().DataPoints().Len()
	case pmetric.MetricTypeHistogram:
		return m.Histogram().DataPoints().Len()
	case pmetric.MetricTypeExponentialHistogram:
		return m.ExponentialHistogram().DataPoints().Len()
	case pmetric.MetricTypeSummary:
		return m.Summary().DataPoints().Len()
	}
	return 0
}

func forEachPointAttrs(m pmetric.Metric, f func(pcommon.Map)) {
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		for i := 0; i < m.Gauge().DataPoints().Len(); i++ {
			f(m.Gauge().DataPoints().At(i).Attributes())
		}
	case pmetric.MetricTypeSum:
		for i := 0; i < m.Sum().DataPoints().Len(); i++ {
			f(m.Sum().DataPoints().At(i).Attributes())
		}
	}
}

func (b *backend) exportTraces(ctx context.Context, td ptrace.Traces) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.record(ctx); err != nil {
		return err
	}
	for in := range otlpbackend.Spans(td) {
		sp := in.Span
		b.spans[sp.Name()]++
		svc, _ := in.Resource.Attributes().Get("service.name")
		b.spanRecs = append(b.spanRecs, spanRec{
			Name: sp.Name(), Service: svc.Str(), Scope: in.Scope.Name(), Kind: sp.Kind(),
			TraceID: sp.TraceID().String(), SpanID: sp.SpanID().String(), ParentID: sp.ParentSpanID().String(),
			StatusCode: sp.Status().Code(), Attrs: sp.Attributes().AsRaw(),
		})
	}
	return nil
}

func (b *backend) exportLogs(ctx context.Context, ld plog.Logs) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.record(ctx); err != nil {
		return err
	}
	for lr := range otlpbackend.LogRecords(ld) {
		b.logs[lr.Body().AsString()]++
	}
	return nil
}

// recordMetricReq logs the call and applies failMetric (b.mu held).
func (b *backend) recordMetricReq(ctx context.Context, metrics pmetric.Metrics) error {
	name := ""
	if rms := metrics.ResourceMetrics(); rms.Len() > 0 {
		if sms := rms.At(0).ScopeMetrics(); sms.Len() > 0 && sms.At(0).Metrics().Len() > 0 {
			name = sms.At(0).Metrics().At(0).Name()
		}
	}
	md, _ := metadata.FromIncomingContext(ctx)
	r := metricReq{Name: name, MD: md.Copy(), At: time.Now()}
	if b.failMetric != nil {
		if b.metricAttempts == nil {
			b.metricAttempts = map[string]int{}
		}
		b.metricAttempts[name]++
		r.Refused = b.failMetric(name, b.metricAttempts[name])
	}
	b.metricReqs = append(b.metricReqs, r)
	return r.Refused
}

// SetMetricFailure installs f (see backend.failMetric).
func (b *backend) SetMetricFailure(f func(name string, attempt int) error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failMetric = f
}

// MetricReqs returns the metrics Export calls whose first metric is name.
func (b *backend) MetricReqs(name string) []metricReq {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []metricReq
	for _, r := range b.metricReqs {
		if r.Name == name {
			out = append(out, r)
		}
	}
	return out
}
