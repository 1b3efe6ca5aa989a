package soak

import (
	"context"
	"maps"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/otelcol-hybrid/otelcol-hybrid/internal/testkit/otlpbackend"
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
	b := &backend{addr: l.Addr().String(), seen: map[string]int{}}
	h := otlpbackend.Handlers{Traces: b.exportTraces, Metrics: b.exportMetrics, Logs: b.exportLogs}
	b.srv = otlpbackend.Serve(l, h, grpc.MaxRecvMsgSize(256<<20))
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
	return maps.Clone(b.seen)
}

func idOf(attrs pcommon.Map) (string, bool) {
	v, ok := attrs.Get(idKey)
	if !ok {
		return "", false
	}
	return v.Str(), true
}

func (b *backend) exportTraces(ctx context.Context, td ptrace.Traces) error {
	if err := b.admit(ctx); err != nil {
		return err
	}
	var ids []string
	for in := range otlpbackend.Spans(td) {
		if id, ok := idOf(in.Span.Attributes()); ok {
			ids = append(ids, id)
		}
	}
	b.record(ids)
	return nil
}

func (b *backend) exportMetrics(ctx context.Context, md pmetric.Metrics) error {
	if err := b.admit(ctx); err != nil {
		return err
	}
	var ids []string
	for m := range otlpbackend.Metrics(md) {
		if m.Type() != pmetric.MetricTypeGauge {
			continue
		}
		for _, dp := range m.Gauge().DataPoints().All() {
			if id, ok := idOf(dp.Attributes()); ok {
				ids = append(ids, id)
			}
		}
	}
	b.record(ids)
	return nil
}

func (b *backend) exportLogs(ctx context.Context, ld plog.Logs) error {
	if err := b.admit(ctx); err != nil {
		return err
	}
	var ids []string
	for lr := range otlpbackend.LogRecords(ld) {
		if id, ok := idOf(lr.Attributes()); ok {
			ids = append(ids, id)
		}
	}
	b.record(ids)
	return nil
}
