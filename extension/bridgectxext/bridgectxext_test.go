package bridgectxext

import (
	"context"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
)

// TestForwardsMetadataAndTraceContextOverRealGRPC sends one call through the
// interceptor to a real gRPC server and checks what arrives on the wire.
func TestForwardsMetadataAndTraceContextOverRealGRPC(t *testing.T) {
	got := make(chan metadata.MD, 1)
	conn, _ := serveThroughMiddleware(t, func(ctx context.Context, _ any) {
		md, _ := metadata.FromIncomingContext(ctx)
		got <- md
	})

	ctx := client.NewContext(context.Background(), client.Info{Metadata: client.NewMetadata(map[string][]string{
		"X-Tenant":      {"acme"},
		"x-multi":       {"one", "two"},
		"authorization": {"Bearer s3cret"},
		":authority":    {"collector.example:4317"},
		"user-agent":    {"telemetrygen/1.0"},
		"content-type":  {"application/grpc"},
		"x-static":      {"from-client"},
	})})
	ctx = metadata.AppendToOutgoingContext(ctx, "x-static", "from-operator")
	tid, _ := trace.TraceIDFromHex("0af7651916cd43dd8448eb211c80319c")
	sid, _ := trace.SpanIDFromHex("b7ad6b7169203331")
	ctx = trace.ContextWithSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}))

	if _, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatal(err)
	}
	md := <-got
	for key, want := range map[string][]string{
		"x-tenant":      {"acme"},
		"x-multi":       {"one", "two"},
		"authorization": {"Bearer s3cret"},
		AuthorityHeader: {"collector.example:4317"},
		UserAgentHeader: {"telemetrygen/1.0"},
		"x-static":      {"from-operator"},
		"traceparent":   {"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
	} {
		if g := md.Get(key); len(g) != len(want) || (len(g) > 0 && g[0] != want[0]) || (len(g) > 1 && g[1] != want[1]) {
			t.Errorf("%s: got %q, want %q", key, g, want)
		}
	}
	if ct := md.Get("content-type"); len(ct) != 1 || ct[0] != "application/grpc" {
		t.Errorf("content-type was disturbed: %q", ct)
	}
}

// TestRecycledMetadataNeverLeaksBetweenConcurrentCalls: the interceptor
// recycles its metadata maps; many concurrent calls with different client
// metadata over a real connection must each arrive with exactly their own
// (the health service's `service` field carries the expected tenant).
func TestRecycledMetadataNeverLeaksBetweenConcurrentCalls(t *testing.T) {
	var mismatches atomic.Int64
	conn, hs := serveThroughMiddleware(t, func(ctx context.Context, req any) {
		md, _ := metadata.FromIncomingContext(ctx)
		want := req.(*healthpb.HealthCheckRequest).GetService()
		if got := md.Get("x-tenant"); len(got) != 1 || got[0] != want || len(md.Get("x-only-odd")) != len(want)%2 {
			mismatches.Add(1)
		}
	})
	hc := healthpb.NewHealthClient(conn)
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				tenant := strings.Repeat("t", 1+(g+i)%7) // odd/even lengths
				md := map[string][]string{"x-tenant": {tenant}}
				if len(tenant)%2 == 1 {
					md["x-only-odd"] = []string{"yes"}
				}
				ctx := client.NewContext(context.Background(), client.Info{Metadata: client.NewMetadata(md)})
				hs.SetServingStatus(tenant, healthpb.HealthCheckResponse_SERVING)
				if _, err := hc.Check(ctx, &healthpb.HealthCheckRequest{Service: tenant}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := mismatches.Load(); n != 0 {
		t.Fatalf("%d of 1600 calls arrived with another call's metadata", n)
	}
}

// serveThroughMiddleware starts a real gRPC health server whose every call
// is first shown to seen, and returns a client connection that goes through
// the extension's interceptor.
func serveThroughMiddleware(t *testing.T, seen func(ctx context.Context, req any)) (*grpc.ClientConn, *health.Server) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		seen(ctx, req)
		return h(ctx, req)
	}))
	hs := health.NewServer()
	healthpb.RegisterHealthServer(srv, hs)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(srv.Stop)
	opts, err := newMiddleware(Secret).GetGRPCClientOptions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(l.Addr().String(), append(opts, grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn, hs
}
