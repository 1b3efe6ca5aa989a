package bridgectxext

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

func TestSecretIsRandomHexAndStable(t *testing.T) {
	s := Secret()
	if len(s) != 2*secretBytes {
		t.Fatalf("secret has %d characters, want %d", len(s), 2*secretBytes)
	}
	if Secret() != s {
		t.Fatal("the secret changed within one process")
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			t.Fatalf("secret %q is not lower-case hex", s)
		}
	}
}

func TestAuthenticateRequiresExactlyTheSecretAndStripsIt(t *testing.T) {
	m := newMiddleware(func() string { return "s3cret-s3cret-s3cret-s3cret-s3cret" })
	for name, h := range map[string][]string{
		"missing": nil,
		"wrong":   {"s3cret-s3cret-s3cret-s3cret-s3creT"},
		"prefix":  {"s3cret"},
		"twice":   {"s3cret-s3cret-s3cret-s3cret-s3cret", "s3cret-s3cret-s3cret-s3cret-s3cret"},
		"empty":   {""},
	} {
		if _, err := m.Authenticate(context.Background(), map[string][]string{SecretHeader: h}); !errors.Is(err, ErrNoSecret) {
			t.Errorf("%s: got %v, want ErrNoSecret", name, err)
		}
	}
	// The bridge receivers include metadata: the client info holds the secret
	// until Authenticate takes it out.
	ctx := client.NewContext(context.Background(), client.Info{Metadata: client.NewMetadata(map[string][]string{
		SecretHeader: {"s3cret-s3cret-s3cret-s3cret-s3cret"}, "x-tenant": {"acme"},
	})})
	ctx, err := m.Authenticate(ctx, map[string][]string{SecretHeader: {"s3cret-s3cret-s3cret-s3cret-s3cret"}})
	if err != nil {
		t.Fatal(err)
	}
	md := client.FromContext(ctx).Metadata
	if v := md.Get(SecretHeader); len(v) != 0 {
		t.Errorf("the secret is still in the client metadata: %q", v)
	}
	if v := md.Get("x-tenant"); len(v) != 1 || v[0] != "acme" {
		t.Errorf("other metadata lost: x-tenant = %q", v)
	}
}

// TestExporterSendsTheSecretOnceOverRealGRPC: the middleware puts the
// secret on the wire, once, even when the caller's client metadata (a
// foreign client's request, forwarded) carries a value of its own.
func TestExporterSendsTheSecretOnceOverRealGRPC(t *testing.T) {
	got := make(chan metadata.MD, 2)
	conn, _ := serveThroughMiddleware(t, func(ctx context.Context, _ any) {
		md, _ := metadata.FromIncomingContext(ctx)
		got <- md
	})
	hc := healthpb.NewHealthClient(conn)
	forged := client.NewContext(context.Background(), client.Info{Metadata: client.NewMetadata(map[string][]string{
		SecretHeader: {"guess"}, "x-tenant": {"acme"},
	})})
	for _, ctx := range []context.Context{context.Background(), forged} {
		if _, err := hc.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
			t.Fatal(err)
		}
		if v := (<-got).Get(SecretHeader); len(v) != 1 || v[0] != Secret() {
			t.Errorf("server saw %s = %q, want the secret once", SecretHeader, v)
		}
	}
}

// TestReceiverRefusesForeignClientsOverRealGRPC: a server guarded by
// Authenticate (as configgrpc wires a server authenticator) answers
// Unauthenticated to a client without the secret and serves the bridge.
func TestReceiverRefusesForeignClientsOverRealGRPC(t *testing.T) {
	m := newMiddleware(Secret)
	addr, calls := serveAuthenticated(t, m)
	foreign, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = foreign.Close() }()
	req := pmetricotlp.NewExportRequestFromMetrics(oneMetric())
	_, err = pmetricotlp.NewGRPCClient(foreign).Export(context.Background(), req)
	if status.Code(err) != codes.Unauthenticated {
		t.Fatalf("foreign client: %v, want Unauthenticated", err)
	}
	guess, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(SecretCredentials(SecretHeader, Secret()[:63]+"x")))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = guess.Close() }()
	if _, err = pmetricotlp.NewGRPCClient(guess).Export(context.Background(), req); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("wrong secret: %v, want Unauthenticated", err)
	}
	if n := calls(); n != 0 {
		t.Fatalf("%d refused requests reached the service", n)
	}
	opts, _ := m.GetGRPCClientOptions(context.Background())
	bridge, err := grpc.NewClient(addr, append(opts, grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = bridge.Close() }()
	if _, err := pmetricotlp.NewGRPCClient(bridge).Export(context.Background(), req); err != nil {
		t.Fatalf("bridge client: %v", err)
	}
	if n := calls(); n != 1 {
		t.Fatalf("service saw %d requests, want 1", n)
	}
}

// serveAuthenticated is a metrics sink behind m's Authenticate, run the way
// configgrpc runs a server authenticator (status code Unauthenticated).
func serveAuthenticated(t testing.TB, m *middleware) (addr string, calls func() int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &countingSink{}
	srv := grpc.NewServer(grpc.UnaryInterceptor(authInterceptor(m)))
	pmetricotlp.RegisterGRPCServer(srv, s)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(srv.Stop)
	return l.Addr().String(), func() int { return int(s.n.Load()) }
}

func authInterceptor(m *middleware) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		md, _ := metadata.FromIncomingContext(ctx)
		ctx, err := m.Authenticate(ctx, md)
		if err != nil {
			return nil, status.Error(codes.Unauthenticated, err.Error())
		}
		return h(ctx, req)
	}
}

func oneMetric() pmetric.Metrics {
	md := pmetric.NewMetrics()
	m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("m")
	m.SetEmptyGauge().DataPoints().AppendEmpty().SetIntValue(1)
	return md
}

// BenchmarkBridgeSecret: one OTLP metrics export of 100 points over a unix
// socket, without the secret and with it (sent by the middleware's
// credentials, checked by Authenticate): the ns/op and allocs/op difference
// is what authenticating every bridge request costs.
func BenchmarkBridgeSecret(b *testing.B) {
	m := newMiddleware(Secret)
	for _, on := range []bool{false, true} {
		b.Run(fmt.Sprintf("secret=%t", on), func(b *testing.B) {
			sock := filepath.Join(b.TempDir(), "b.sock")
			l, err := net.Listen("unix", sock)
			if err != nil {
				b.Fatal(err)
			}
			var sopts []grpc.ServerOption
			copts := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
			if on {
				sopts = append(sopts, grpc.UnaryInterceptor(authInterceptor(m)))
				copts = append(copts, grpc.WithPerRPCCredentials(SecretCredentials(SecretHeader, Secret())))
			}
			srv := grpc.NewServer(sopts...)
			pmetricotlp.RegisterGRPCServer(srv, &sink{})
			go func() { _ = srv.Serve(l) }()
			defer srv.Stop()
			conn, err := grpc.NewClient("unix://"+sock, copts...)
			if err != nil {
				b.Fatal(err)
			}
			defer func() { _ = conn.Close() }()
			c := pmetricotlp.NewGRPCClient(conn)
			md := pmetric.NewMetrics()
			g := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty().SetEmptyGauge()
			for i := range 100 {
				dp := g.DataPoints().AppendEmpty()
				dp.SetIntValue(int64(i))
				dp.Attributes().PutStr("host", "h")
			}
			req := pmetricotlp.NewExportRequestFromMetrics(md)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Export(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

type countingSink struct {
	pmetricotlp.UnimplementedGRPCServer
	n atomic.Int64
}

func (s *countingSink) Export(context.Context, pmetricotlp.ExportRequest) (pmetricotlp.ExportResponse, error) {
	s.n.Add(1)
	return pmetricotlp.NewExportResponse(), nil
}
