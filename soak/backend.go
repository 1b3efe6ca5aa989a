package soak

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	_ "google.golang.org/grpc/encoding/gzip" // the collector's exporters compress with gzip by default
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// idKey is the attribute every item the clients send carries: the
// client's name and a sequence number, unique over the run, so the backend
// can tell delivered, missing and repeated items apart exactly.
const idKey = "soak.id"

// backendMode is what the backend does with an export request.
type backendMode int32

const (
	modeAccept   backendMode = iota
	modeOutage               // Unavailable: a backend that is down
	modeSlow                 // accept after slowDelay
	modeThrottle             // ResourceExhausted with RetryInfo
)

// slowDelay is how long a slow backend takes per request: long enough that
// queues fill and exporters run several requests at once, shorter than an
// exporter's default 5 s timeout so that it is slowness and not an outage.
const slowDelay = 1500 * time.Millisecond

// throttleDelay is the RetryInfo delay a throttling backend asks for.
const throttleDelay = 300 * time.Millisecond

// backend is the OTLP/gRPC backend of every pipeline: it counts each item by
// its soak.id, and a fault can switch it to refuse or delay requests.
type backend struct {
	addr string
	srv  *grpc.Server
	mode atomic.Int32

	mu   sync.Mutex
	seen map[string]int // soak.id → times delivered

	refusedUnavailable atomic.Int64
	refusedThrottled   atomic.Int64
	delayed            atomic.Int64
	cutWhileSlow       atomic.Int64 // the exporter gave up during the delay: not recorded
	duplicates         atomic.Int64 // deliveries of an id already delivered
}

func startBackend(ip string) (*backend, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return nil, err
	}
	b := &backend{addr: l.Addr().String(), seen: map[string]int{}, srv: grpc.NewServer(grpc.MaxRecvMsgSize(256 << 20))}
	ptraceotlp.RegisterGRPCServer(b.srv, &tracesSvc{b: b})
	pmetricotlp.RegisterGRPCServer(b.srv, &metricsSvc{b: b})
	plogotlp.RegisterGRPCServer(b.srv, &logsSvc{b: b})
	go func() { _ = b.srv.Serve(l) }()
	return b, nil
}

func (b *backend) setMode(m backendMode) { b.mode.Store(int32(m)) }

func (b *backend) stop() { b.srv.Stop() }

// admit applies the current mode before a request is recorded: nil means
// record it.
func (b *backend) admit(ctx context.Context) error {
	switch backendMode(b.mode.Load()) {
	case modeOutage:
		b.refusedUnavailable.Add(1)
		return status.Error(codes.Unavailable, "soak: backend outage")
	case modeThrottle:
		b.refusedThrottled.Add(1)
		st := status.New(codes.ResourceExhausted, "soak: throttled")
		st, _ = st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(throttleDelay)})
		return st.Err()
	case modeSlow:
		b.delayed.Add(1)
		select {
		case <-time.After(slowDelay):
		case <-ctx.Done():
			b.cutWhileSlow.Add(1)
			return status.FromContextError(ctx.Err()).Err()
		}
		// A request whose sender stopped waiting is not delivered: the
		// sender will send it again, and recording it too would count a
		// duplicate the collector did not make.
		if ctx.Err() != nil {
			b.cutWhileSlow.Add(1)
			return status.FromContextError(ctx.Err()).Err()
		}
	}
	return nil
}

func (b *backend) record(ids []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, id := range ids {
		if b.seen[id] > 0 {
			b.duplicates.Add(1)
		}
		b.seen[id]++
	}
}

// count returns how many times id arrived.
func (b *backend) count(id string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.seen[id]
}

// totals returns the distinct ids delivered and the deliveries beyond the
// first of each.
func (b *backend) totals() (distinct, duplicates int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, n := range b.seen {
		distinct++
		duplicates += n - 1
	}
	return distinct, duplicates
}

// snapshot copies the delivery counts.
func (b *backend) snapshot() map[string]int {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make(map[string]int, len(b.seen))
	for k, v := range b.seen {
		out[k] = v
	}
	return out
}

func idOf(attrs pcommon.Map) (string, bool) {
	v, ok := attrs.Get(idKey)
	if !ok {
		return "", false
	}
	return v.Str(), true
}

type tracesSvc struct {
	ptraceotlp.UnimplementedGRPCServer
	b *backend
}

func (s *tracesSvc) Export(ctx context.Context, req ptraceotlp.ExportRequest) (ptraceotlp.ExportResponse, error) {
	if err := s.b.admit(ctx); err != nil {
		return ptraceotlp.NewExportResponse(), err
	}
	var ids []string
	rss := req.Traces().ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				if id, ok := idOf(spans.At(k).Attributes()); ok {
					ids = append(ids, id)
				}
			}
		}
	}
	s.b.record(ids)
	return ptraceotlp.NewExportResponse(), nil
}

type metricsSvc struct {
	pmetricotlp.UnimplementedGRPCServer
	b *backend
}

func (s *metricsSvc) Export(ctx context.Context, req pmetricotlp.ExportRequest) (pmetricotlp.ExportResponse, error) {
	if err := s.b.admit(ctx); err != nil {
		return pmetricotlp.NewExportResponse(), err
	}
	var ids []string
	rms := req.Metrics().ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		sms := rms.At(i).ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			ms := sms.At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				if m := ms.At(k); m.Type() == pmetric.MetricTypeGauge {
					dps := m.Gauge().DataPoints()
					for p := 0; p < dps.Len(); p++ {
						if id, ok := idOf(dps.At(p).Attributes()); ok {
							ids = append(ids, id)
						}
					}
				}
			}
		}
	}
	s.b.record(ids)
	return pmetricotlp.NewExportResponse(), nil
}

type logsSvc struct {
	plogotlp.UnimplementedGRPCServer
	b *backend
}

func (s *logsSvc) Export(ctx context.Context, req plogotlp.ExportRequest) (plogotlp.ExportResponse, error) {
	if err := s.b.admit(ctx); err != nil {
		return plogotlp.NewExportResponse(), err
	}
	var ids []string
	rls := req.Logs().ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		sls := rls.At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			recs := sls.At(j).LogRecords()
			for k := 0; k < recs.Len(); k++ {
				if id, ok := idOf(recs.At(k).Attributes()); ok {
					ids = append(ids, id)
				}
			}
		}
	}
	s.b.record(ids)
	return plogotlp.NewExportResponse(), nil
}
