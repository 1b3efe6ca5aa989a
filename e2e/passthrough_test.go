package e2e

// Pass-through at a Go → Rust crossing, with the real binary (either mode):
// a request the Go otlp receiver decoded crosses as the bytes its client
// sent, and a request the Rust half's full check refuses (a string that is
// not UTF-8, which Go accepts) still arrives, sent again as pdata encodes it.

import (
	"bytes"
	"context"
	"net"
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

// logsRequest is one log record with body, plus a request-level field no
// OTLP version defines (number 99): pdata's decoding drops it, so whether
// it arrives tells which way the request crossed.
func logsRequest(t *testing.T, body string) (client, reencoded []byte) {
	t.Helper()
	ld := plog.NewLogs()
	ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Body().SetStr(body)
	b, err := (&plog.ProtoMarshaler{}).MarshalLogs(ld)
	if err != nil {
		t.Fatal(err)
	}
	return append(bytes.Clone(b), 0x98, 0x06, 0x01), b
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

	valid, _ := logsRequest(t, "kept as sent")
	send(valid)
	notUTF8, notUTF8Reencoded := logsRequest(t, "caf\xe9")
	send(notUTF8)

	testkit.Eventually(t, 30*time.Second, "the backend receives both requests", func() bool { return len(be.received()) >= 2 })
	got := be.received()
	if len(got) != 2 {
		t.Fatalf("the backend received %d requests, want 2", len(got))
	}
	// The Rust exporter's queue may deliver them in either order.
	if bytes.Equal(got[0], notUTF8Reencoded) || bytes.Equal(got[1], valid) {
		got[0], got[1] = got[1], got[0]
	}
	if !bytes.Equal(got[0], valid) {
		t.Errorf("the valid request should arrive as its client sent it (%d bytes, with the unknown field); got %x", len(valid), got[0])
	}
	if !bytes.Equal(got[1], notUTF8Reencoded) {
		t.Errorf("the request with a string that is not UTF-8 should arrive as pdata encodes it (%x); got %x", notUTF8Reencoded, got[1])
	}
}
