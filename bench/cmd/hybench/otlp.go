package main

// The load generator and the sink. Both work on raw protobuf bytes so that
// neither side is the bottleneck on a 2-core machine:
//   - the generator pre-encodes each batch once (pdata → protobuf) and only
//     patches one fixed64 (the send timestamp) per request before sending;
//   - the sink never unmarshals into pdata: it walks the protobuf wire format
//     just deep enough to count items and read the timestamps.

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"net"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
)

const (
	metricsMethod = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"
	tracesMethod  = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
	logsMethod    = "/opentelemetry.proto.collector.logs.v1.LogsService/Export"
)

// sentinel marks the fixed64 that carries the send time in the pre-encoded
// batch; baseTime is the timestamp of every other item (old enough that the
// sink can tell it from a send time).
const (
	sentinel = uint64(0x1badb002deadbeef)
	baseTime = uint64(1_600_000_000_000_000_000)
)

// Names in every batch: half kept, half dropped by the filter scenarios. The
// first metric/span of a batch is always a kept one, so latency samples
// survive the filter.
const nameGroups = 20

func keepName(i int) string { return fmt.Sprintf("bench.keep.%d", i) }
func dropName(i int) string { return fmt.Sprintf("bench.drop.%d", i) }

// dropNames is the drop list used by both filters (exact names).
func dropNames() []string {
	var out []string
	for i := 0; i < nameGroups/2; i++ {
		out = append(out, dropName(i))
	}
	return out
}

// itemName: even positions kept, odd positions dropped.
func itemName(i int) string {
	if i%2 == 0 {
		return keepName(i / 2)
	}
	return dropName(i / 2)
}

// rawCodec passes pre-encoded bytes through gRPC untouched.
type rawCodec struct{}

func (rawCodec) Name() string { return "proto" }
func (rawCodec) Marshal(v any) ([]byte, error) {
	return *(v.(*[]byte)), nil
}
func (rawCodec) Unmarshal(data []byte, v any) error {
	p := v.(*[]byte)
	*p = append((*p)[:0], data...)
	return nil
}

var _ encoding.Codec = rawCodec{}

// batch is one pre-encoded request and where its timestamp goes.
type batch struct {
	signal string // "metrics" | "traces"
	items  int
	method string
	body   []byte
	tsOff  int // offset of the sentinel fixed64
}

func buildMetrics(points int) batch {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "hybench")
	rm.Resource().Attributes().PutStr("host.name", "bench-host")
	sm := rm.ScopeMetrics().AppendEmpty()
	sm.Scope().SetName("hybench")
	per := points / nameGroups
	for g := 0; g < nameGroups; g++ {
		m := sm.Metrics().AppendEmpty()
		m.SetName(itemName(g))
		m.SetUnit("1")
		dps := m.SetEmptyGauge().DataPoints()
		for p := 0; p < per; p++ {
			dp := dps.AppendEmpty()
			dp.SetTimestamp(pcommon.Timestamp(baseTime))
			if g == 0 && p == 0 {
				dp.SetTimestamp(pcommon.Timestamp(sentinel))
			}
			dp.SetDoubleValue(float64(p) * 1.5)
			dp.Attributes().PutStr("series", fmt.Sprintf("s-%d", p))
			dp.Attributes().PutStr("region", "eu-west-1")
			dp.Attributes().PutInt("shard", int64(p%16))
		}
	}
	body, err := (&pmetric.ProtoMarshaler{}).MarshalMetrics(md)
	if err != nil {
		panic(err)
	}
	return batch{signal: "metrics", items: points, method: metricsMethod, body: body, tsOff: findSentinel(body)}
}

func buildTraces(spans int) batch {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "hybench")
	rs.Resource().Attributes().PutStr("host.name", "bench-host")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("hybench")
	for i := 0; i < spans; i++ {
		s := ss.Spans().AppendEmpty()
		s.SetName(itemName(i % nameGroups))
		var tid [16]byte
		var sid [8]byte
		binary.BigEndian.PutUint64(tid[8:], uint64(i+1))
		binary.BigEndian.PutUint64(sid[:], uint64(i+1))
		s.SetTraceID(tid)
		s.SetSpanID(sid)
		s.SetKind(ptrace.SpanKindServer)
		s.SetStartTimestamp(pcommon.Timestamp(baseTime))
		if i == 0 {
			s.SetStartTimestamp(pcommon.Timestamp(sentinel))
		}
		s.SetEndTimestamp(pcommon.Timestamp(baseTime + 1000))
		s.Attributes().PutStr("http.method", "GET")
		s.Attributes().PutStr("http.route", "/api/v1/items")
		s.Attributes().PutInt("http.status_code", 200)
	}
	body, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
	if err != nil {
		panic(err)
	}
	return batch{signal: "traces", items: spans, method: tracesMethod, body: body, tsOff: findSentinel(body)}
}

func findSentinel(b []byte) int {
	var s [8]byte
	binary.LittleEndian.PutUint64(s[:], sentinel)
	i := bytes.Index(b, s[:])
	if i < 0 || bytes.Contains(b[i+1:], s[:]) {
		panic("sentinel not found exactly once")
	}
	return i
}

// ---------------------------------------------------------------- generator

type genResult struct {
	sentReq, okReq, errReq int64
	okItems                int64
	// Paced mode only: client-side round-trip times and error codes.
	okRTT, errRTT []time.Duration
	codes         map[string]int
}

// generate sends b on conc concurrent streams until ctx ends. rate > 0
// paces the total to rate requests/s (open loop per worker); rate == 0 is a
// closed loop as fast as responses come back. md, when set, is sent as
// gRPC metadata on every request.
func generate(ctx context.Context, target string, b batch, conc int, rate float64, md metadata.MD) (genResult, error) {
	conn, err := grpc.NewClient(target,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{}), grpc.MaxCallRecvMsgSize(64<<20), grpc.MaxCallSendMsgSize(64<<20)),
		grpc.WithInitialWindowSize(4<<20), grpc.WithInitialConnWindowSize(16<<20),
	)
	if err != nil {
		return genResult{}, err
	}
	defer func() { _ = conn.Close() }()
	var res genResult
	var wg sync.WaitGroup
	var mu sync.Mutex
	res.codes = map[string]int{}
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			body := append([]byte(nil), b.body...)
			var resp []byte
			cctx := ctx
			if md != nil {
				cctx = metadata.NewOutgoingContext(ctx, md)
			}
			var interval time.Duration
			next := time.Now()
			if rate > 0 {
				interval = time.Duration(float64(time.Second) * float64(conc) / rate)
				next = next.Add(time.Duration(w) * interval / time.Duration(conc))
			}
			for ctx.Err() == nil {
				if interval > 0 {
					if d := time.Until(next); d > 0 {
						select {
						case <-ctx.Done():
							return
						case <-time.After(d):
						}
					}
					next = next.Add(interval)
				}
				t0 := time.Now()
				binary.LittleEndian.PutUint64(body[b.tsOff:], uint64(t0.UnixNano()))
				atomic.AddInt64(&res.sentReq, 1)
				err := conn.Invoke(cctx, b.method, &body, &resp)
				if interval > 0 && ctx.Err() == nil {
					rtt := time.Since(t0)
					mu.Lock()
					if err != nil {
						res.errRTT = append(res.errRTT, rtt)
						res.codes[status.Code(err).String()]++
					} else {
						res.okRTT = append(res.okRTT, rtt)
					}
					mu.Unlock()
				}
				if err != nil {
					if ctx.Err() != nil {
						return
					}
					atomic.AddInt64(&res.errReq, 1)
					if interval == 0 {
						time.Sleep(2 * time.Millisecond) // back off: refused work still costs CPU
					}
					continue
				}
				atomic.AddInt64(&res.okReq, 1)
				atomic.AddInt64(&res.okItems, int64(b.items))
			}
		}(w)
	}
	wg.Wait()
	return res, nil
}

// --------------------------------------------------------------------- sink

// sink is an OTLP/gRPC server that counts items and records one latency
// sample per item carrying a send time.
type sink struct {
	srv   *grpc.Server
	addr  string
	items atomic.Int64
	reqs  atomic.Int64
	mu    sync.Mutex
	lat   []time.Duration
	rec   atomic.Bool // record latency samples
	// x-bench-key-* metadata that reached the sink (while rec is on).
	mdReqs, mdKeys atomic.Int64
}

func newSink() (*sink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &sink{addr: ln.Addr().String()}
	s.srv = grpc.NewServer(grpc.ForceServerCodec(rawCodec{}), grpc.MaxRecvMsgSize(256<<20),
		grpc.InitialWindowSize(4<<20), grpc.InitialConnWindowSize(16<<20))
	for _, svc := range []struct{ name, kind string }{
		{"opentelemetry.proto.collector.metrics.v1.MetricsService", "metrics"},
		{"opentelemetry.proto.collector.trace.v1.TraceService", "traces"},
		{"opentelemetry.proto.collector.logs.v1.LogsService", "logs"},
	} {
		kind := svc.kind
		s.srv.RegisterService(&grpc.ServiceDesc{
			ServiceName: svc.name,
			HandlerType: (*any)(nil),
			Methods: []grpc.MethodDesc{{
				MethodName: "Export",
				Handler: func(_ any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
					if s.rec.Load() {
						md, _ := metadata.FromIncomingContext(ctx)
						k := 0
						for key := range md {
							if strings.HasPrefix(key, "x-bench-key-") {
								k++
							}
						}
						s.mdReqs.Add(1)
						s.mdKeys.Add(int64(k))
					}
					var body []byte
					if err := dec(&body); err != nil {
						return nil, err
					}
					s.consume(kind, body)
					empty := []byte{}
					return &empty, nil
				},
			}},
		}, struct{}{})
	}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

func (s *sink) stop() { s.srv.Stop() }

func (s *sink) consume(kind string, body []byte) {
	now := uint64(time.Now().UnixNano())
	var n int64
	var stamps []uint64
	switch kind {
	case "metrics":
		n, stamps = walkMetrics(body)
	case "traces":
		n, stamps = walkTraces(body)
	}
	s.items.Add(n)
	s.reqs.Add(1)
	if s.rec.Load() && len(stamps) > 0 {
		s.mu.Lock()
		for _, t := range stamps {
			if t <= now {
				s.lat = append(s.lat, time.Duration(now-t))
			}
		}
		s.mu.Unlock()
	}
}

func (s *sink) takeLatencies() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.lat
	s.lat = nil
	return l
}

// fields calls f for each top-level field of a protobuf message; LEN fields
// get their payload, fixed64 fields their value in v.
func fields(b []byte, f func(num protowire.Number, typ protowire.Type, payload []byte, v uint64) bool) {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return
		}
		b = b[n:]
		switch typ {
		case protowire.BytesType:
			p, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return
			}
			b = b[m:]
			if !f(num, typ, p, 0) {
				return
			}
		case protowire.Fixed64Type:
			v, m := protowire.ConsumeFixed64(b)
			if m < 0 {
				return
			}
			b = b[m:]
			if !f(num, typ, nil, v) {
				return
			}
		default:
			m := protowire.ConsumeFieldValue(num, typ, b)
			if m < 0 {
				return
			}
			b = b[m:]
		}
	}
}

// isSendTime tells a send timestamp from the fixed baseTime of other items.
func isSendTime(v uint64) bool { return v > baseTime+uint64(365*24*time.Hour) && v != sentinel }

// walkMetrics: request(1 resource_metrics) → (2 scope_metrics) → (2 metrics)
// → gauge(5)/sum(7) → (1 data_points) → time_unix_nano(3, fixed64).
func walkMetrics(b []byte) (n int64, stamps []uint64) {
	return countStamped(b, [][]protowire.Number{{1}, {2}, {2}, {5, 7}, {1}}, 3)
}

// walkTraces: request(1 resource_spans) → (2 scope_spans) → (2 spans) →
// start_time_unix_nano(7, fixed64).
func walkTraces(b []byte) (n int64, stamps []uint64) {
	return countStamped(b, [][]protowire.Number{{1}, {2}, {2}}, 7)
}

// countStamped counts the items reached by following path (each step the
// field numbers of a nested message) and collects their send timestamps from
// fixed64 field stampField.
func countStamped(b []byte, path [][]protowire.Number, stampField protowire.Number) (n int64, stamps []uint64) {
	descend(b, path, func(item []byte) {
		n++
		fields(item, func(num protowire.Number, t protowire.Type, _ []byte, v uint64) bool {
			if num == stampField && t == protowire.Fixed64Type {
				if isSendTime(v) {
					stamps = append(stamps, v)
				}
				return false
			}
			return true
		})
	})
	return n, stamps
}

// descend calls f with every nested message reached by following path.
func descend(b []byte, path [][]protowire.Number, f func([]byte)) {
	if len(path) == 0 {
		f(b)
		return
	}
	fields(b, func(num protowire.Number, t protowire.Type, m []byte, _ uint64) bool {
		if t == protowire.BytesType && slices.Contains(path[0], num) {
			descend(m, path[1:], f)
		}
		return true
	})
}

func percentile(d []time.Duration, p float64) float64 {
	if len(d) == 0 {
		return math.NaN()
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	if i < 0 {
		i = 0
	}
	return float64(s[i]) / 1e6
}
