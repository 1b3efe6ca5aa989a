package e2e

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	_ "google.golang.org/grpc/encoding/gzip" // real backends accept gzip, the exporters default to it
	"google.golang.org/grpc/metadata"
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
		logs: map[string]int{}, seqSeen: map[int64]int{}, srv: grpc.NewServer(),
	}
	pmetricotlp.RegisterGRPCServer(b.srv, &metricsSvc{b: b})
	ptraceotlp.RegisterGRPCServer(b.srv, &tracesSvc{b: b})
	plogotlp.RegisterGRPCServer(b.srv, &logsSvc{b: b})
	go func() { _ = b.srv.Serve(l) }()
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

type metricsSvc struct {
	pmetricotlp.UnimplementedGRPCServer
	b *backend
}

func (s *metricsSvc) Export(ctx context.Context, req pmetricotlp.ExportRequest) (pmetricotlp.ExportResponse, error) {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	if err := s.b.record(ctx); err != nil {
		return pmetricotlp.NewExportResponse(), err
	}
	if err := s.b.recordMetricReq(ctx, req); err != nil {
		return pmetricotlp.NewExportResponse(), err
	}
	forEachMetric(req.Metrics(), func(m pmetric.Metric) {
		s.b.points[m.Name()] += dataPointCount(m)
		forEachPointAttrs(m, func(attrs pcommon.Map) {
			if v, ok := attrs.Get("seq"); ok {
				s.b.seqSeen[v.Int()]++
			}
		})
	})
	return pmetricotlp.NewExportResponse(), nil
}

// forEachMetric calls f on every metric of md.
func forEachMetric(md pmetric.Metrics, f func(pmetric.Metric)) {
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		sms := rms.At(i).ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			ms := sms.At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				f(ms.At(k))
			}
		}
	}
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

type tracesSvc struct {
	ptraceotlp.UnimplementedGRPCServer
	b *backend
}

func (s *tracesSvc) Export(ctx context.Context, req ptraceotlp.ExportRequest) (ptraceotlp.ExportResponse, error) {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	if err := s.b.record(ctx); err != nil {
		return ptraceotlp.NewExportResponse(), err
	}
	rss := req.Traces().ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				sp := spans.At(k)
				s.b.spans[sp.Name()]++
				svc, _ := rss.At(i).Resource().Attributes().Get("service.name")
				s.b.spanRecs = append(s.b.spanRecs, spanRec{
					Name: sp.Name(), Service: svc.Str(), Scope: sss.At(j).Scope().Name(), Kind: sp.Kind(),
					TraceID: sp.TraceID().String(), SpanID: sp.SpanID().String(), ParentID: sp.ParentSpanID().String(),
					StatusCode: sp.Status().Code(), Attrs: sp.Attributes().AsRaw(),
				})
			}
		}
	}
	return ptraceotlp.NewExportResponse(), nil
}

type logsSvc struct {
	plogotlp.UnimplementedGRPCServer
	b *backend
}

func (s *logsSvc) Export(ctx context.Context, req plogotlp.ExportRequest) (plogotlp.ExportResponse, error) {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	if err := s.b.record(ctx); err != nil {
		return plogotlp.NewExportResponse(), err
	}
	rls := req.Logs().ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		sls := rls.At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			recs := sls.At(j).LogRecords()
			for k := 0; k < recs.Len(); k++ {
				s.b.logs[recs.At(k).Body().AsString()]++
			}
		}
	}
	return plogotlp.NewExportResponse(), nil
}

// recordMetricReq logs the call and applies failMetric (b.mu held).
func (b *backend) recordMetricReq(ctx context.Context, req pmetricotlp.ExportRequest) error {
	name := ""
	if rms := req.Metrics().ResourceMetrics(); rms.Len() > 0 {
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
