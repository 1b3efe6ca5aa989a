package jaegerpeer

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jaegertracing/jaeger-idl/model/v1"
	"go.opentelemetry.io/collector/pdata/ptrace"
	jaegerexp "go.opentelemetry.io/otel/exporters/jaeger" //nolint:staticcheck // the deprecated SDK exporter is the real Jaeger client here
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.17.0"
)

// sendWithSDK creates spans with the OpenTelemetry Go SDK and exports them
// through exp: n spans named <proto>-i, of which every fourth is a
// "healthcheck" span the filter drops.
func sendWithSDK(t *testing.T, exp sdktrace.SpanExporter, proto string, n int) {
	t.Helper()
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp, sdktrace.WithMaxExportBatchSize(50)),
		sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName("jaeger-"+proto))),
	)
	tr := tp.Tracer("pipeline")
	for i := range n {
		name := fmt.Sprintf("%s-%d", proto, i)
		if i%4 == 3 {
			name = "healthcheck-" + name
		}
		_, span := tr.Start(context.Background(), name)
		span.End()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := tp.Shutdown(ctx); err != nil {
		t.Fatalf("%s: SDK shutdown: %v", proto, err)
	}
}

// grpcBatch is n spans for the api_v2 gRPC client, the same naming.
func grpcBatch(n int) *model.Batch {
	b := &model.Batch{Process: &model.Process{ServiceName: "jaeger-grpc"}}
	start := time.Now()
	for i := range n {
		name := fmt.Sprintf("grpc-%d", i)
		if i%4 == 3 {
			name = "healthcheck-" + name
		}
		b.Spans = append(b.Spans, &model.Span{TraceID: model.NewTraceID(1, uint64(i+1)), SpanID: model.NewSpanID(uint64(i + 1)),
			OperationName: name, StartTime: start, Duration: time.Millisecond})
	}
	return b
}

func namesByService(td ptrace.Traces) map[string][]string {
	out := map[string][]string{}
	for i := 0; i < td.ResourceSpans().Len(); i++ {
		rs := td.ResourceSpans().At(i)
		svc, _ := rs.Resource().Attributes().Get("service.name")
		for j := 0; j < rs.ScopeSpans().Len(); j++ {
			for k := 0; k < rs.ScopeSpans().At(j).Spans().Len(); k++ {
				out[svc.Str()] = append(out[svc.Str()], rs.ScopeSpans().At(j).Spans().At(k).Name())
			}
		}
	}
	return out
}

// Real Jaeger clients over the three protocols through the design's
// distribution: Rust jaeger → Rust advanced_filter → Go batch → Go otlp
// exporter → a backend, which counts every span that should pass.
func TestRealJaegerClientsThroughTheHybridPipeline(t *testing.T) {
	bin := Binary(t, "HYBRID_DESIGN_BIN")
	be := StartBackend(t)
	p := FreePorts(t)
	cfg := fmt.Sprintf(`
receivers:
  jaeger:
    protocols:
      grpc: {endpoint: "%s"}
      thrift_http: {endpoint: "%s"}
      thrift_compact: {endpoint: "%s"}
processors:
  advanced_filter:
    drop_spans: ["healthcheck*"]
  batch:
    timeout: 100ms
exporters:
  otlp_grpc:
    endpoint: "%s"
    tls: {insecure: true}
service:
  telemetry:
    metrics: {level: none}
  pipelines:
    traces:
      receivers: [jaeger]
      processors: [advanced_filter, batch]
      exporters: [otlp_grpc]
`, p.GRPC, p.HTTP, p.Compact, be.Addr)
	proc := StartProcess(t, bin, cfg, p.GRPC, ProcOpts{ReadyLog: "Everything is ready"})
	if !strings.Contains(proc.Out.String(), "jaeger receiver listening") {
		t.Fatalf("the jaeger receiver did not start in the Rust half:\n%s", tail(proc.Out.String()))
	}

	const n = 200
	httpExp, err := jaegerexp.New(jaegerexp.WithCollectorEndpoint(jaegerexp.WithEndpoint("http://" + p.HTTP + "/api/traces")))
	if err != nil {
		t.Fatal(err)
	}
	sendWithSDK(t, httpExp, "thrift_http", n)
	host, port, _ := net.SplitHostPort(p.Compact)
	udpExp, err := jaegerexp.New(jaegerexp.WithAgentEndpoint(jaegerexp.WithAgentHost(host), jaegerexp.WithAgentPort(port)))
	if err != nil {
		t.Fatal(err)
	}
	sendWithSDK(t, udpExp, "thrift_compact", n)
	if err := PostSpans(p.GRPC, grpcBatch(n)); err != nil {
		t.Fatal(err)
	}

	want := 3 * (n - n/4)
	WaitSpans(t, be.Traces, want, 60*time.Second)
	// A graceful stop drains what is still in flight, so extras show up.
	if !proc.Stop(15 * time.Second) {
		t.Fatal("collector did not stop")
	}
	got := namesByService(be.Traces())
	total := 0
	for _, proto := range []string{"thrift_http", "thrift_compact", "grpc"} {
		names := got["jaeger-"+proto]
		total += len(names)
		seen := map[string]bool{}
		for _, name := range names {
			if strings.HasPrefix(name, "healthcheck") {
				t.Errorf("%s: the filter let %s through", proto, name)
			}
			if seen[name] {
				t.Errorf("%s: %s delivered twice", proto, name)
			}
			seen[name] = true
		}
		if len(seen) != n-n/4 {
			t.Errorf("%s: %d distinct spans at the backend, want %d", proto, len(seen), n-n/4)
		}
		for i := range n {
			if i%4 != 3 && !seen[proto+"-"+strconv.Itoa(i)] {
				t.Errorf("%s: span %d missing", proto, i)
				break
			}
		}
	}
	if total != want {
		t.Errorf("backend counted %d spans, want exactly %d", total, want)
	}
}
