package e2e

// Pass-through at a Go → Rust crossing, with the real binary (either mode):
// a request the Go otlp receiver decoded crosses as the bytes its client
// sent (a string that is not UTF-8 too: Go accepts it, and so does the Rust
// end), and a request the Rust end's framing check refuses (a field of the
// group wire type, which Go's decoder skips) still arrives, sent again as
// pdata encodes it.

import (
	"bytes"
	"context"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/otelcol-hybrid/otelcol-hybrid/internal/testkit"
)

// wireBackend records the bodies of the OTLP requests it gets, undecoded.
type wireBackend struct {
	addr   string
	mu     sync.Mutex
	bodies [][]byte
}

func startWireBackend(t *testing.T) *wireBackend {
	t.Helper()
	b := &wireBackend{}
	srv := grpc.NewServer(grpc.ForceServerCodecV2(testkit.WireCodec{}), grpc.UnknownServiceHandler(func(_ any, s grpc.ServerStream) error {
		var body []byte
		if err := s.RecvMsg(&body); err != nil {
			return err
		}
		b.mu.Lock()
		b.bodies = append(b.bodies, body)
		b.mu.Unlock()
		return s.SendMsg(&[]byte{})
	}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	b.addr = ln.Addr().String()
	return b
}

func (b *wireBackend) received() [][]byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([][]byte(nil), b.bodies...)
}

// Request-level fields no OTLP version defines (number 99): pdata's decoding
// drops them, so whether one arrives tells which way the request crossed.
var (
	unknownVarint = []byte{0x98, 0x06, 0x01}
	// An empty group, then the varint: Go's decoder skips the group (but
	// not as a message's last bytes), the Rust end refuses groups.
	unknownGroup = []byte{0x9b, 0x06, 0x9c, 0x06, 0x98, 0x06, 0x01}
)

// logsRequest is one log record with body, plus the unknown field trailer.
func logsRequest(t *testing.T, body string, trailer []byte) (client, reencoded []byte) {
	t.Helper()
	ld := plog.NewLogs()
	ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Body().SetStr(body)
	b, err := (&plog.ProtoMarshaler{}).MarshalLogs(ld)
	if err != nil {
		t.Fatal(err)
	}
	return append(bytes.Clone(b), trailer...), b
}

func TestPassThroughSendsTheClientsBytesAndResendsWhatRustRefuses(t *testing.T) {
	t.Parallel()
	// The exporter's queue off, and on as by default (in subprocess mode it
	// then runs in the Go bridge exporter and sends after the receiver's
	// handler returned).
	for _, queue := range []string{"false", "true"} {
		t.Run("queue="+queue, func(t *testing.T) {
			t.Parallel()
			passThrough(t, queue)
		})
	}
}

func passThrough(t *testing.T, queue string) {
	be := startWireBackend(t)
	cfg, _ := renderConfig(t, "passthrough.yaml", map[string]string{"BACKEND": be.addr, "QUEUE": queue})
	h := startHybrid(t, cfg, hybridOpts{})
	h.waitReady()
	conn, err := grpc.NewClient(h.listenAddr(grpcIP), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	send := func(body []byte) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		var out []byte
		if err := conn.Invoke(ctx, "/opentelemetry.proto.collector.logs.v1.LogsService/Export", &body, &out, grpc.ForceCodecV2(testkit.WireCodec{})); err != nil {
			t.Fatalf("export: %v", err)
		}
	}

	valid, _ := logsRequest(t, "kept as sent", unknownVarint)
	notUTF8, _ := logsRequest(t, "caf\xe9", unknownVarint)
	grouped, groupedReencoded := logsRequest(t, "with a group", unknownGroup)
	for _, body := range [][]byte{valid, notUTF8, grouped} {
		send(body)
	}

	testkit.Eventually(t, 30*time.Second, "the backend receives the three requests", func() bool { return len(be.received()) >= 3 })
	got := be.received()
	if len(got) != 3 {
		t.Fatalf("the backend received %d requests, want 3", len(got))
	}
	// The Rust exporter's queue may deliver them in any order.
	for _, want := range []struct {
		what string
		body []byte
	}{
		{"the valid request, as its client sent it (with the unknown field)", valid},
		{"the request with a string that is not UTF-8, as its client sent it, as an all-Go collector forwards that string", notUTF8},
		{"the request the Rust end refused (a group), as pdata encodes it", groupedReencoded},
	} {
		if !slices.ContainsFunc(got, func(b []byte) bool { return bytes.Equal(b, want.body) }) {
			t.Errorf("the backend should receive %s (%x); got %x", want.what, want.body, got)
		}
	}
}
