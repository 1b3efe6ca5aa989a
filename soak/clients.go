package soak

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// dropName is the span name, metric name and log body the config's
// advanced_filter drops: one item of every request carries it, so the Rust
// processor has work and the harness can check that nothing it drops leaks.
const dropName = "soak_drop"

// clientKind is how a client treats its own requests.
type clientKind string

const (
	kindSteady   clientKind = "steady"   // a generous deadline
	kindCancel   clientKind = "cancel"   // cancels each request after a random few milliseconds
	kindDeadline clientKind = "deadline" // a deadline of a few milliseconds
	kindBurst    clientKind = "burst"    // large requests, only while a memory fault runs
)

// client sends one signal to one receiver at a fixed rate. A request is
// started on every tick whether or not earlier ones have answered (up to
// maxInFlight), so a slow collector does not slow the offered load down.
type client struct {
	name     string
	signal   string // traces | metrics | logs
	pipeline string // go_to_rust | rust_to_go | all_rust: which receiver it sends to
	kind     clientKind
	items    int           // items per request, the filtered one included
	every    time.Duration // one request per tick
	bodySize int           // bytes of padding per item (burst clients)

	conn   *grpc.ClientConn
	ledger *ledger
	seq    atomic.Int64
	sem    chan struct{}
}

const maxInFlight = 16

// dial opens a connection that reconnects quickly: a receiver in the Rust
// child disappears while the child restarts, and gRPC's default reconnect
// backoff grows to two minutes.
func dial(addr string) (*grpc.ClientConn, error) {
	return grpc.NewClient(addr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 50 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 500 * time.Millisecond},
			MinConnectTimeout: 2 * time.Second,
		}),
		grpc.WithDefaultCallOptions(grpc.MaxCallSendMsgSize(64<<20)),
	)
}

// run sends until ctx ends, then waits for its requests to answer.
func (c *client) run(ctx context.Context) {
	c.sem = make(chan struct{}, maxInFlight)
	var wg sync.WaitGroup
	t := time.NewTicker(c.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-t.C:
		}
		select {
		case c.sem <- struct{}{}:
		default:
			c.ledger.skipped.Add(1)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-c.sem }()
			c.sendOne()
		}()
	}
}

// sendOne builds a request of fresh ids, sends it and records the outcome.
func (c *client) sendOne() {
	base := c.seq.Add(int64(c.items)) - int64(c.items)
	ids := make([]string, c.items)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s/%d", c.name, base+int64(i))
	}
	// The last item carries the name the filter drops.
	kept := ids[:len(ids)-1]

	var ctx context.Context
	var cancel context.CancelFunc
	switch c.kind {
	case kindCancel:
		ctx, cancel = context.WithCancel(context.Background())
		after := time.Duration(rand.IntN(20_000)) * time.Microsecond
		timer := time.AfterFunc(after, cancel)
		defer timer.Stop()
	case kindDeadline:
		ctx, cancel = context.WithTimeout(context.Background(), time.Duration(2+rand.IntN(30))*time.Millisecond)
	default:
		ctx, cancel = context.WithTimeout(context.Background(), 15*time.Second)
	}
	defer cancel()

	c.ledger.sent(len(kept))
	err := c.export(ctx, ids)
	c.ledger.outcome(c, kept, ids[len(ids)-1], err)
}

func (c *client) export(ctx context.Context, ids []string) error {
	pad := ""
	if c.bodySize > 0 {
		pad = strings.Repeat("x", c.bodySize)
	}
	now := pcommon.NewTimestampFromTime(time.Now())
	switch c.signal {
	case "traces":
		td := ptrace.NewTraces()
		rs := td.ResourceSpans().AppendEmpty()
		rs.Resource().Attributes().PutStr("service.name", "soak")
		ss := rs.ScopeSpans().AppendEmpty()
		for i, id := range ids {
			sp := ss.Spans().AppendEmpty()
			sp.SetName("soak")
			if i == len(ids)-1 {
				sp.SetName(dropName)
			}
			sp.SetTraceID(pcommon.TraceID(randBytes16()))
			sp.SetSpanID(pcommon.SpanID(randBytes8()))
			sp.SetStartTimestamp(now)
			sp.SetEndTimestamp(now)
			sp.Attributes().PutStr(idKey, id)
			if pad != "" {
				sp.Attributes().PutStr("soak.pad", pad)
			}
		}
		resp, err := ptraceotlp.NewGRPCClient(c.conn).Export(ctx, ptraceotlp.NewExportRequestFromTraces(td))
		if err == nil && resp.PartialSuccess().RejectedSpans() > 0 {
			return errPartial
		}
		return err
	case "metrics":
		md := pmetric.NewMetrics()
		rm := md.ResourceMetrics().AppendEmpty()
		rm.Resource().Attributes().PutStr("service.name", "soak")
		sm := rm.ScopeMetrics().AppendEmpty()
		keep := sm.Metrics().AppendEmpty()
		keep.SetName("soak_value")
		drop := sm.Metrics().AppendEmpty()
		drop.SetName(dropName)
		keepPts := keep.SetEmptyGauge().DataPoints()
		dropPts := drop.SetEmptyGauge().DataPoints()
		for i, id := range ids {
			pts := keepPts
			if i == len(ids)-1 {
				pts = dropPts
			}
			dp := pts.AppendEmpty()
			dp.SetTimestamp(now)
			dp.SetIntValue(int64(i))
			dp.Attributes().PutStr(idKey, id)
			if pad != "" {
				dp.Attributes().PutStr("soak.pad", pad)
			}
		}
		resp, err := pmetricotlp.NewGRPCClient(c.conn).Export(ctx, pmetricotlp.NewExportRequestFromMetrics(md))
		if err == nil && resp.PartialSuccess().RejectedDataPoints() > 0 {
			return errPartial
		}
		return err
	default:
		ld := plog.NewLogs()
		rl := ld.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutStr("service.name", "soak")
		sl := rl.ScopeLogs().AppendEmpty()
		for i, id := range ids {
			lr := sl.LogRecords().AppendEmpty()
			lr.SetTimestamp(now)
			lr.Body().SetStr("soak " + pad)
			if i == len(ids)-1 {
				lr.Body().SetStr(dropName)
			}
			lr.Attributes().PutStr(idKey, id)
		}
		resp, err := plogotlp.NewGRPCClient(c.conn).Export(ctx, plogotlp.NewExportRequestFromLogs(ld))
		if err == nil && resp.PartialSuccess().RejectedLogRecords() > 0 {
			return errPartial
		}
		return err
	}
}

var errPartial = errors.New("partial success: the collector rejected some items")

func randBytes16() (b [16]byte) {
	for i := range b {
		b[i] = byte(rand.IntN(256))
	}
	b[0] |= 1 // an all-zero id is invalid
	return b
}

func randBytes8() (b [8]byte) {
	for i := range b {
		b[i] = byte(rand.IntN(256))
	}
	b[0] |= 1
	return b
}

// ledger is the clients' side of the count: which items were acknowledged
// (the client got OK), and how the others failed.
type ledger struct {
	mu       sync.Mutex
	acked    map[string]string // soak.id → pipeline/signal, for reporting losses by pipeline
	dropSent map[string]bool   // ids of the items the filter must drop

	sentItems atomic.Int64
	skipped   atomic.Int64 // ticks with maxInFlight requests already waiting

	errMu     sync.Mutex
	errCodes  map[string]int64 // "kind code" → failed requests
	memRefuse atomic.Int64     // requests the memory_limiter refused
	cancelled atomic.Int64     // requests a cancel client cancelled before an answer
	deadlined atomic.Int64     // requests a deadline client's deadline cut
	okReqs    atomic.Int64
	failReqs  atomic.Int64
}

func newLedger() *ledger {
	return &ledger{acked: map[string]string{}, dropSent: map[string]bool{}, errCodes: map[string]int64{}}
}

func (l *ledger) sent(n int) { l.sentItems.Add(int64(n)) }

func (l *ledger) outcome(c *client, kept []string, dropped string, err error) {
	l.mu.Lock()
	l.dropSent[dropped] = true
	if err == nil {
		where := c.pipeline + "/" + c.signal
		for _, id := range kept {
			l.acked[id] = where
		}
	}
	l.mu.Unlock()
	if err == nil {
		l.okReqs.Add(1)
		return
	}
	l.failReqs.Add(1)
	code := status.Code(err)
	if strings.Contains(err.Error(), "memory usage") || strings.Contains(err.Error(), "memory limit") {
		l.memRefuse.Add(1)
	}
	switch {
	case c.kind == kindCancel && code == codes.Canceled:
		l.cancelled.Add(1)
	case c.kind == kindDeadline && code == codes.DeadlineExceeded:
		l.deadlined.Add(1)
	}
	l.errMu.Lock()
	l.errCodes[string(c.kind)+" "+code.String()]++
	l.errMu.Unlock()
}

func (l *ledger) ackedCopy() map[string]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.acked)
}

func (l *ledger) droppedCopy() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]string, 0, len(l.dropSent))
	for k := range l.dropSent {
		out = append(out, k)
	}
	return out
}

func (l *ledger) errorCounts() map[string]int64 {
	l.errMu.Lock()
	defer l.errMu.Unlock()
	return maps.Clone(l.errCodes)
}
