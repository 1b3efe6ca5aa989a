package jaegerpeer

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/apache/thrift/lib/go/thrift"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
)

// rawCodec sends and receives bytes as they are, to put malformed protobuf
// on the wire.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error)      { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v any) error { *(v.(*[]byte)) = data; return nil }
func (rawCodec) Name() string                       { return "proto" }

func postRawGRPC(t *testing.T, endpoint string, body []byte) error {
	t.Helper()
	conn, err := grpc.NewClient(endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var resp []byte
	return conn.Invoke(ctx, "/jaeger.api_v2.CollectorService/PostSpans", &body, &resp, grpc.ForceCodec(rawCodec{}))
}

// A PostSpansRequest whose one span has a 5-byte trace id.
func badTraceIDRequest() []byte {
	span := protowire.AppendTag(nil, 1, protowire.BytesType)
	span = protowire.AppendBytes(span, []byte{1, 2, 3, 4, 5})
	batch := protowire.AppendTag(nil, 1, protowire.BytesType)
	batch = protowire.AppendBytes(batch, span)
	req := protowire.AppendTag(nil, 1, protowire.BytesType)
	return protowire.AppendBytes(req, batch)
}

// A Thrift-binary Batch that announces two billion spans in a few bytes.
func hugeListBatch() []byte {
	var b bytes.Buffer
	b.Write([]byte{byte(thrift.LIST), 0, 2, byte(thrift.STRUCT)})
	b.Write([]byte{0x7f, 0xff, 0xff, 0xff})
	b.Write([]byte{0, 0, 0, 0})
	return b.Bytes()
}

func TestHostileInputIsRefusedOrDroppedAndTheReceiverKeepsServing(t *testing.T) {
	p := FreePorts(t)
	be, proc := startRustReceiver(t, p)

	for _, c := range []struct {
		name, ctype string
		body        []byte
		want        int
	}{
		{"garbage", "application/x-thrift", []byte("not thrift at all"), 400},
		{"two billion spans announced", "application/x-thrift", hugeListBatch(), 400},
		{"truncated", "application/x-thrift", []byte{byte(thrift.STRUCT), 0, 1}, 400},
		{"wrong content type", "application/json", []byte("{}"), 400},
		{"over 20 MiB", "application/x-thrift", make([]byte, 21<<20), 413},
	} {
		code, err := PostRaw(p.HTTP, c.ctype, c.body)
		if err != nil || code != c.want {
			t.Errorf("thrift_http %s: got %d %v, want %d", c.name, code, err, c.want)
		}
	}

	// grpc-go answers Internal here; tonic answers InvalidArgument, which
	// says better that resending will not help.
	if err := postRawGRPC(t, p.GRPC, []byte{0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("grpc malformed protobuf: %v, want InvalidArgument", err)
	}
	if err := postRawGRPC(t, p.GRPC, badTraceIDRequest()); status.Code(err) != codes.InvalidArgument {
		t.Errorf("grpc 5-byte trace id: %v, want InvalidArgument", err)
	}

	// Datagrams: over max_packet_size (65000), garbage, a truncated call,
	// and a method the agent port does not serve.
	zipkin := thrift.NewTMemoryBuffer()
	proto := thrift.NewTCompactProtocolConf(zipkin, nil)
	_ = proto.WriteMessageBegin(context.Background(), "emitZipkinBatch", thrift.ONEWAY, 1)
	_ = proto.WriteStructBegin(context.Background(), "args")
	_ = proto.WriteFieldStop(context.Background())
	_ = proto.WriteStructEnd(context.Background())
	_ = proto.WriteMessageEnd(context.Background())
	_ = proto.Flush(context.Background())
	for _, d := range [][]byte{make([]byte, 65400), []byte("garbage"), {0x82, 0x21, 0x01, 0x09, 'e', 'm', 'i', 't'}, zipkin.Bytes()} {
		if err := SendUDP(p.Compact, d); err != nil {
			t.Fatal(err)
		}
	}

	// Still serving: one good batch per protocol, every span counted.
	good := ThriftBatches()[:1]
	want := spanCount(good) * 3
	if code, err := PostThrift(p.HTTP, good[0]); err != nil || code != 202 {
		t.Fatalf("good batch after hostile ones: %d %v", code, err)
	}
	if err := EmitBatch(p.Compact, true, good[0]); err != nil {
		t.Fatal(err)
	}
	if err := PostSpans(p.GRPC, ProtoBatches()[0]); err != nil {
		t.Fatal(err)
	}
	WaitSpans(t, be.Traces, want+1, 20*time.Second) // the gRPC batch keeps its blank span
	// A graceful stop drains what is still in flight, so extras show up, and
	// the receiver logs its own account.
	if !proc.Stop(15 * time.Second) {
		t.Fatal("collector did not stop")
	}
	if n := be.Traces().SpanCount(); n != want+1 {
		t.Errorf("backend has %d spans, want %d", n, want+1)
	}
	stats := stopLine(t, proc.Out.String())
	// Refused: the five HTTP bodies and the gRPC ids (tonic itself refuses
	// protobuf that does not decode). Dropped: the four datagrams.
	wantStats := map[string]float64{"refused_requests": 6, "dropped_packets": 4, "accepted_spans": float64(want + 1), "failed_spans": 0}
	for k, v := range wantStats {
		if stats[k] != v {
			t.Errorf("%s = %v, want %v (%v)", k, stats[k], v, stats)
		}
	}
}

// stopLine is the receiver's "jaeger receiver stopped" log record.
func stopLine(t *testing.T, out string) map[string]any {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(l), &rec) == nil && rec["message"] == "jaeger receiver stopped" {
			return rec
		}
	}
	t.Fatalf("no stop record in:\n%s", tail(out))
	return nil
}

func tail(s string) string {
	lines := strings.Split(s, "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return strings.Join(lines, "\n")
}
