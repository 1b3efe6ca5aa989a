package jaegerpeer

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jaegertracing/jaeger-idl/model/v1"
	"github.com/jaegertracing/jaeger-idl/thrift-gen/jaeger"
	"github.com/open-telemetry/opentelemetry-collector-contrib/receiver/jaegerreceiver"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/confignet"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/receiver/receivertest"
)

// startGoReceiver runs the contrib jaegerreceiver in-process on p.
func startGoReceiver(t *testing.T, p Ports) *consumertest.TracesSink {
	t.Helper()
	f := jaegerreceiver.NewFactory()
	cfg := f.CreateDefaultConfig().(*jaegerreceiver.Config)
	cfg.Protocols.GRPC.GetOrInsertDefault().NetAddr = confignet.AddrConfig{Endpoint: p.GRPC, Transport: confignet.TransportTypeTCP}
	h := confighttp.NewDefaultServerConfig()
	h.NetAddr = confignet.AddrConfig{Endpoint: p.HTTP, Transport: confignet.TransportTypeTCP}
	*cfg.Protocols.ThriftHTTP.GetOrInsertDefault() = h
	cfg.Protocols.ThriftCompactUDP.GetOrInsertDefault().Endpoint = p.Compact
	cfg.Protocols.ThriftBinaryUDP.GetOrInsertDefault().Endpoint = p.Binary
	sink := &consumertest.TracesSink{}
	r, err := f.CreateTraces(context.Background(), receivertest.NewNopSettings(f.Type()), cfg, sink)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Shutdown(context.Background()) })
	return sink
}

func merged(sink *consumertest.TracesSink) ptrace.Traces {
	out := ptrace.NewTraces()
	for _, td := range sink.AllTraces() {
		for i := 0; i < td.ResourceSpans().Len(); i++ {
			td.ResourceSpans().At(i).CopyTo(out.ResourceSpans().AppendEmpty())
		}
	}
	return out
}

// startRustReceiver runs otelcol-rust with a jaeger receiver on p exporting
// to a backend.
func startRustReceiver(t *testing.T, p Ports) (*Backend, *Process) {
	t.Helper()
	bin := Binary(t, "OTELCOL_RUST_BIN")
	be := StartBackend(t)
	cfg := fmt.Sprintf(`
receivers:
  jaeger:
%s
exporters:
  otlp_rust:
    endpoint: "%s"
    tls: {insecure: true}
service:
  pipelines:
    traces: {receivers: [jaeger], exporters: [otlp_rust]}
`, p.ReceiverYAML("    "), be.Addr)
	return be, StartProcess(t, bin, cfg, p.GRPC)
}

func spanCount(batches []*jaeger.Batch) int {
	n := 0
	for _, b := range batches {
		for _, s := range b.Spans {
			if s.TraceIdLow != 0 || s.SpanId != 0 {
				n++
			}
		}
	}
	return n
}

func protoSpanCount(batches []*model.Batch) int {
	n := 0
	for _, b := range batches {
		n += len(b.Spans)
	}
	return n
}

func TestSameBatchesSameOTLPAsTheContribReceiver(t *testing.T) {
	goPorts, rustPorts := FreePorts(t), FreePorts(t)
	goSink := startGoReceiver(t, goPorts)
	rustBackend, _ := startRustReceiver(t, rustPorts)

	for _, proto := range []string{"grpc", "thrift_http", "thrift_compact", "thrift_binary"} {
		t.Run(proto, func(t *testing.T) {
			goSink.Reset()
			before := rustBackend.Traces().SpanCount()
			want := spanCount(ThriftBatches())
			for _, ports := range []Ports{goPorts, rustPorts} {
				switch proto {
				case "grpc":
					want = protoSpanCount(ProtoBatches())
					for _, b := range ProtoBatches() {
						if err := PostSpans(ports.GRPC, b); err != nil {
							t.Fatal(err)
						}
					}
				case "thrift_http":
					for _, b := range ThriftBatches() {
						code, err := PostThrift(ports.HTTP, b)
						if err != nil || code != 202 {
							t.Fatalf("POST /api/traces: %d %v", code, err)
						}
					}
				case "thrift_compact", "thrift_binary":
					addr := map[bool]string{true: ports.Compact, false: ports.Binary}[proto == "thrift_compact"]
					for _, b := range ThriftBatches() {
						if err := EmitBatch(addr, proto == "thrift_compact", b); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
			goTD := WaitSpans(t, func() ptrace.Traces { return merged(goSink) }, want, 20*time.Second)
			rustAll := WaitSpans(t, rustBackend.Traces, before+want, 20*time.Second)
			rustTD := ptrace.NewTraces()
			// Only this subtest's resources: the backend keeps everything.
			rs := rustAll.ResourceSpans()
			seen := 0
			for i := 0; i < rs.Len(); i++ {
				n := 0
				for j := 0; j < rs.At(i).ScopeSpans().Len(); j++ {
					n += rs.At(i).ScopeSpans().At(j).Spans().Len()
				}
				if seen >= before {
					rs.At(i).CopyTo(rustTD.ResourceSpans().AppendEmpty())
				}
				seen += n
			}
			g, r := Canonical(goTD), Canonical(rustTD)
			if len(g) != len(r) {
				t.Fatalf("go delivered %d spans, rust %d", len(g), len(r))
			}
			for i := range g {
				if g[i] != r[i] {
					t.Errorf("span %d differs:\n go:   %s\n rust: %s", i, g[i], r[i])
				}
			}
			if t.Failed() || testing.Verbose() {
				t.Logf("%d spans compared\ngo:\n%s\nrust:\n%s", len(g), strings.Join(g, "\n"), strings.Join(r, "\n"))
			}
		})
	}
}
