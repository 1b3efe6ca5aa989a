package bridgectxext

import (
	"context"
	"net"
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
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan metadata.MD, 1)
	srv := grpc.NewServer(grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		md, _ := metadata.FromIncomingContext(ctx)
		got <- md
		return h(ctx, req)
	}))
	healthpb.RegisterHealthServer(srv, health.NewServer())
	go srv.Serve(l)
	defer srv.Stop()

	opts, err := newMiddleware().GetGRPCClientOptions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(l.Addr().String(), append(opts, grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

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
