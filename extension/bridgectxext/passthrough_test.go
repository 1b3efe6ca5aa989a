package bridgectxext

import (
	"bytes"
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/otelcol-hybrid/otelcol-hybrid/internal/testkit"
)

type arrival struct {
	contentType string
	body        []byte
}

// rustEnd is the Rust end's stand-in: it records each request's content type
// and body, and can refuse the client's own bytes as the Rust receiver
// refuses what its full check fails.
type rustEnd struct {
	mu        sync.Mutex
	got       []arrival
	refuseRaw bool
}

func (s *rustEnd) handle(_ any, stream grpc.ServerStream) error {
	var body []byte
	if err := stream.RecvMsg(&body); err != nil {
		return err
	}
	md, _ := metadata.FromIncomingContext(stream.Context())
	ct := ""
	if v := md.Get("content-type"); len(v) > 0 {
		ct = v[0]
	}
	s.mu.Lock()
	s.got = append(s.got, arrival{ct, body})
	refuse := s.refuseRaw && ct == "application/grpc+"+RawContentSubtype
	s.mu.Unlock()
	if refuse {
		return status.Error(codes.InvalidArgument, RawRefusalPrefix+"metrics request: unsupported wire type (groups are not OTLP)")
	}
	return stream.SendMsg(&[]byte{})
}

func (s *rustEnd) arrivals() []arrival {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]arrival(nil), s.got...)
}

func serve(t testing.TB, srv *grpc.Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return ln.Addr().String()
}

// frontend is a user's OTLP/gRPC receiver with the pass-through middleware,
// whose pipeline (forward) hands the decoded request to a bridge exporter.
type frontend struct {
	pmetricotlp.UnimplementedGRPCServer
	forward func(ctx context.Context, req pmetricotlp.ExportRequest) error
}

func (f *frontend) Export(ctx context.Context, req pmetricotlp.ExportRequest) (pmetricotlp.ExportResponse, error) {
	return pmetricotlp.NewExportResponse(), f.forward(ctx, req)
}

type passThroughRig struct {
	sink   *rustEnd
	export pmetricotlp.GRPCClient // the bridge exporter's client, with the middleware
	send   func(t *testing.T, body []byte)
}

func newPassThroughRig(t *testing.T, forward func(rig *passThroughRig, ctx context.Context, req pmetricotlp.ExportRequest) error) *passThroughRig {
	t.Helper()
	m := newMiddleware(func() string { return "s3cret" })
	rig := &passThroughRig{sink: &rustEnd{}}

	sinkSrv := grpc.NewServer(grpc.ForceServerCodecV2(testkit.WireCodec{}), grpc.UnknownServiceHandler(rig.sink.handle))
	sinkAddr := serve(t, sinkSrv)
	clientOpts, err := m.GetGRPCClientOptions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(sinkAddr, append(clientOpts, grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	rig.export = pmetricotlp.NewGRPCClient(conn)

	serverOpts, err := m.GetGRPCServerOptions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	front := grpc.NewServer(serverOpts...)
	pmetricotlp.RegisterGRPCServer(front, &frontend{forward: func(ctx context.Context, req pmetricotlp.ExportRequest) error {
		return forward(rig, ctx, req)
	}})
	frontAddr := serve(t, front)
	fconn, err := grpc.NewClient(frontAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fconn.Close() })
	rig.send = func(t *testing.T, body []byte) {
		t.Helper()
		var out []byte
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := fconn.Invoke(ctx, "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export", &body, &out, grpc.ForceCodecV2(testkit.WireCodec{}))
		if err != nil {
			t.Fatalf("export through the frontend: %v", err)
		}
	}
	return rig
}

// clientBody is a metrics request as a client may send it: valid, plus a
// field pdata does not know (number 99), which pdata's decoding drops, so
// the bytes that arrive tell which way they crossed.
func clientBody(t *testing.T) (raw, reencoded []byte) {
	t.Helper()
	md := pmetric.NewMetrics()
	m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("passthrough")
	m.SetEmptyGauge().DataPoints().AppendEmpty().SetIntValue(7)
	b, err := (&pmetric.ProtoMarshaler{}).MarshalMetrics(md)
	if err != nil {
		t.Fatal(err)
	}
	return append(bytes.Clone(b), 0x98, 0x06, 0x01), b
}

func TestReceivedBytesCrossUnchangedWhenTheMessageIsTheDecodedOne(t *testing.T) {
	raw, reencoded := clientBody(t)
	var ffiBytes []byte
	var ffiOK bool
	rig := newPassThroughRig(t, func(rig *passThroughRig, ctx context.Context, req pmetricotlp.ExportRequest) error {
		// What the in-process bridge exporter reads.
		if data, release, ok := ReceivedBytes(ctx, req.Metrics()); ok {
			ffiBytes, ffiOK = data.Materialize(), true
			release()
		}
		_, err := rig.export.Export(ctx, req)
		return err
	})
	rig.send(t, raw)
	got := rig.sink.arrivals()
	if len(got) != 1 || got[0].contentType != "application/grpc+"+RawContentSubtype || !bytes.Equal(got[0].body, raw) {
		t.Fatalf("the bridge should send the client's bytes as they came, marked as such; got %+v", got)
	}
	if !ffiOK || !bytes.Equal(ffiBytes, raw) {
		t.Fatalf("ReceivedBytes for the decoded data: ok=%v, %d bytes, want the client's %d", ffiOK, len(ffiBytes), len(raw))
	}
	if bytes.Equal(raw, reencoded) {
		t.Fatal("the test's client bytes must differ from pdata's encoding")
	}
}

func TestAnyOtherMessageIsEncodedByPdata(t *testing.T) {
	raw, reencoded := clientBody(t)
	var ffiOK bool
	rig := newPassThroughRig(t, func(rig *passThroughRig, ctx context.Context, req pmetricotlp.ExportRequest) error {
		clone := pmetric.NewMetrics()
		req.Metrics().CopyTo(clone)
		_, _, ffiOK = ReceivedBytes(ctx, clone)
		_, err := rig.export.Export(ctx, pmetricotlp.NewExportRequestFromMetrics(clone))
		return err
	})
	rig.send(t, raw)
	got := rig.sink.arrivals()
	if len(got) != 1 || got[0].contentType != "application/grpc" || !bytes.Equal(got[0].body, reencoded) {
		t.Fatalf("a copy of the data must cross as pdata encodes it; got %+v", got)
	}
	if ffiOK {
		t.Fatal("ReceivedBytes must not answer for a copy")
	}
}

func TestARefusalOfTheClientsBytesIsAnsweredWithPdatasEncoding(t *testing.T) {
	raw, reencoded := clientBody(t)
	rig := newPassThroughRig(t, func(rig *passThroughRig, ctx context.Context, req pmetricotlp.ExportRequest) error {
		_, err := rig.export.Export(ctx, req)
		return err
	})
	rig.sink.refuseRaw = true
	rig.send(t, raw)
	got := rig.sink.arrivals()
	if len(got) != 2 || !bytes.Equal(got[0].body, raw) || got[1].contentType != "application/grpc" || !bytes.Equal(got[1].body, reencoded) {
		t.Fatalf("want the client's bytes refused, then pdata's encoding; got %+v", got)
	}
}

func TestASendAfterTheRequestEndedIsEncodedByPdata(t *testing.T) {
	raw, reencoded := clientBody(t)
	later := make(chan error, 1)
	rig := newPassThroughRig(t, func(rig *passThroughRig, ctx context.Context, req pmetricotlp.ExportRequest) error {
		// As a queue would: the send happens after the handler returned
		// and gRPC reused the request's buffers.
		go func() {
			time.Sleep(100 * time.Millisecond)
			_, err := rig.export.Export(context.WithoutCancel(ctx), req)
			later <- err
		}()
		return nil
	})
	rig.send(t, raw)
	if err := <-later; err != nil {
		t.Fatal(err)
	}
	got := rig.sink.arrivals()
	if len(got) != 1 || got[0].contentType != "application/grpc" || !bytes.Equal(got[0].body, reencoded) {
		t.Fatalf("a send after the request ended must encode the data again; got %+v", got)
	}
}

func TestKeptBytesCrossAsReceivedAfterTheRequestEnded(t *testing.T) {
	// As the bridge processor before a queued bridge exporter does: keep
	// the bytes, return (the receiver answers its client), send later. Many
	// requests of different content go through first, so gRPC's pool would
	// hand a freed buffer to the next request: each must still cross as the
	// bytes its own client sent.
	const n = 20
	type queued struct {
		ctx context.Context
		req pmetricotlp.ExportRequest
	}
	queue := make(chan queued, n)
	rig := newPassThroughRig(t, func(_ *passThroughRig, ctx context.Context, req pmetricotlp.ExportRequest) error {
		KeepReceived(ctx)
		queue <- queued{context.WithoutCancel(ctx), req}
		return nil
	})
	var sent [][]byte
	for i := range n {
		raw, _ := clientBody(t)
		raw = append(raw, 0x98, 0x06, byte(i)) // one more unknown field: each request differs
		rig.send(t, raw)
		sent = append(sent, raw)
	}
	close(queue)
	for q := range queue {
		if _, err := rig.export.Export(q.ctx, q.req); err != nil {
			t.Fatal(err)
		}
	}
	got := rig.sink.arrivals()
	if len(got) != n {
		t.Fatalf("%d arrivals, want %d", len(got), n)
	}
	for i, a := range got {
		if a.contentType != "application/grpc+"+RawContentSubtype || !bytes.Equal(a.body, sent[i]) {
			t.Fatalf("queued request %d: want its client's %d bytes as received, got %s with %d bytes", i, len(sent[i]), a.contentType, len(a.body))
		}
	}
}

func TestTheServerCodecKnowsTheThreeExportRequests(t *testing.T) {
	if n := len(exportRequestTypes()); n != 3 {
		t.Fatalf("%d distinct OTLP export request types, want 3", n)
	}
	for typ := range exportRequestTypes() {
		if typ.Kind().String() != "ptr" {
			t.Fatalf("%v: the pdata ExportRequest's first field is not the decoded message's pointer", typ)
		}
	}
}

// benchBody is the bench's metrics-1000 request: 20 gauges of 50 points with
// three attributes each.
func benchBody(b *testing.B) []byte {
	b.Helper()
	md := pmetric.NewMetrics()
	sm := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty()
	for g := 0; g < 20; g++ {
		m := sm.Metrics().AppendEmpty()
		m.SetName("metric-" + string(rune('a'+g)))
		dps := m.SetEmptyGauge().DataPoints()
		for p := 0; p < 50; p++ {
			dp := dps.AppendEmpty()
			dp.SetDoubleValue(float64(p))
			dp.Attributes().PutStr("series", "s-"+string(rune('a'+p%26)))
			dp.Attributes().PutStr("region", "eu-west-1")
			dp.Attributes().PutInt("shard", int64(p%16))
		}
	}
	body, err := (&pmetric.ProtoMarshaler{}).MarshalMetrics(md)
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// BenchmarkGoHalf is the Go half of a crossing in process, over real gRPC on
// loopback: a receiver decoding a 1000-point request and a bridge exporter
// sending it on, with pass-through (the receiver keeps the bytes) and
// without (pdata encodes again). Compare ns/op and B/op between the two.
func BenchmarkGoHalf(b *testing.B) {
	body := benchBody(b)
	for _, tc := range []struct {
		name        string
		passThrough bool
		queued      bool // sent by a queue goroutine after the handler returned
		keep        bool // KeepReceived before queueing, as the bridge processor does
	}{
		{"reencoded", false, false, false}, {"pass_through", true, false, false},
		{"queued_reencoded", true, true, false}, {"queued_kept", true, true, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			m := newMiddleware(func() string { return "s3cret" })
			end := &rustEnd{}
			sinkSrv := grpc.NewServer(grpc.ForceServerCodecV2(testkit.WireCodec{}), grpc.UnknownServiceHandler(end.handleQuietly))
			sinkAddr := serve(b, sinkSrv)
			clientOpts, _ := m.GetGRPCClientOptions(context.Background())
			conn, err := grpc.NewClient(sinkAddr, append(clientOpts, grpc.WithTransportCredentials(insecure.NewCredentials()))...)
			if err != nil {
				b.Fatal(err)
			}
			defer func() { _ = conn.Close() }()
			export := pmetricotlp.NewGRPCClient(conn)
			var serverOpts []grpc.ServerOption
			if tc.passThrough {
				serverOpts, _ = m.GetGRPCServerOptions(context.Background())
			}
			type queued struct {
				ctx context.Context
				req pmetricotlp.ExportRequest
			}
			queue := make(chan queued, 64)
			drained := make(chan struct{})
			go func() {
				defer close(drained)
				for q := range queue {
					if _, err := export.Export(q.ctx, q.req); err != nil {
						b.Error(err)
					}
				}
			}()
			front := grpc.NewServer(serverOpts...)
			pmetricotlp.RegisterGRPCServer(front, &frontend{forward: func(ctx context.Context, req pmetricotlp.ExportRequest) error {
				if !tc.queued {
					_, err := export.Export(ctx, req)
					return err
				}
				if tc.keep {
					KeepReceived(ctx)
				}
				queue <- queued{context.WithoutCancel(ctx), req}
				return nil
			}})
			fconn, err := grpc.NewClient(serve(b, front), grpc.WithTransportCredentials(insecure.NewCredentials()))
			if err != nil {
				b.Fatal(err)
			}
			defer func() { _ = fconn.Close() }()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				var out []byte
				if err := fconn.Invoke(context.Background(), "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export", &body, &out, grpc.ForceCodecV2(testkit.WireCodec{})); err != nil {
					b.Fatal(err)
				}
			}
			close(queue)
			<-drained
			b.StopTimer()
			b.ReportMetric(float64(len(end.arrivals()))/float64(b.N), "raw/op")
		})
	}
}

func (s *rustEnd) handleQuietly(_ any, stream grpc.ServerStream) error {
	var body []byte
	if err := stream.RecvMsg(&body); err != nil {
		return err
	}
	if md, _ := metadata.FromIncomingContext(stream.Context()); md.Get("content-type")[0] != "application/grpc" {
		s.mu.Lock()
		s.got = append(s.got, arrival{})
		s.mu.Unlock()
	}
	return stream.SendMsg(&[]byte{})
}
