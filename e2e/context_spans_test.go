package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"google.golang.org/grpc/codes"

	"github.com/otelcol-hybrid/otelcol-hybrid/internal/testkit"
)

// TestRustSpansAreChildrenOfTheGoSpan: the operator turns on the
// collector's own tracing (service::telemetry::traces, OTLP/gRPC to a trace
// backend, W3C propagation) in the one config. A client sends a traced
// request through Go receiver → bridge → Rust fault → Rust otlp_rust. The
// trace backend must then hold one trace: the Go receiver's span (child of the
// client's), the Go bridge client span, the Rust receiver span as its child,
// and the Rust exporter span as the Rust receiver span's child; the data
// backend's request carries the Rust exporter span as its parent, and the
// Rust log lines of the request name the trace and the Rust span. In an
// embedded build the crossing is in process and reads the same: the Go
// ffi_bridge exporter's client span, the Rust ffi_bridge receiver's server span.
func TestRustSpansAreChildrenOfTheGoSpan(t *testing.T) {
	const otelhttpScope = "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	t.Parallel()
	rustReceiver := "receiver/otlp/bridge_1/metrics"
	if embedded() {
		rustReceiver = "receiver/ffi_bridge/bridge_1/metrics"
	}
	tel := startBackend(t) // the trace backend of the collector's own spans
	s := startScenario(t, "traced.yaml", scenarioOpts{vars: map[string]string{"TRACE_BACKEND": tel.Addr}})
	be, h := s.be, s.h // be: the data backend

	const traceID, clientSpan = "5bf92f3577b34da6a3ce929d0e0e4737", "10f067aa0ba902b8"
	c := otlpClient(t, s.grpc)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if st, _ := export(ctx, c, "traced_request", "traceparent", "00-"+traceID+"-"+clientSpan+"-01"); st.Code() != codes.OK {
		t.Fatalf("export: %v", st.Err())
	}

	var rustRecv, rustExp *spanRec
	var spans []spanRec
	testkit.Eventually(t, 30*time.Second, "the Rust receiver and exporter spans at the trace backend", func() bool {
		spans = tel.SpanRecs()
		rustRecv, rustExp = nil, nil
		for i := range spans {
			s := &spans[i]
			switch {
			case s.Scope == "otelcol-rust" && strings.HasPrefix(s.Name, "receiver/"):
				rustRecv = s
			case s.Scope == "otelcol-rust" && strings.HasPrefix(s.Name, "exporter/"):
				rustExp = s
			}
		}
		return rustRecv != nil && rustExp != nil
	})
	byID := map[string]spanRec{}
	for _, s := range spans {
		if s.Scope == otelhttpScope && s.TraceID != traceID {
			continue // a health_check request (waitReady's), traced by its HTTP server in a trace of its own
		}
		if s.TraceID != traceID {
			t.Errorf("span %q (%s) is in trace %s, want every span in the client's trace %s", s.Name, s.Scope, s.TraceID, traceID)
		}
		byID[s.SpanID] = s
	}
	parent, ok := byID[rustRecv.ParentID]
	if !ok {
		t.Fatalf("the Rust receiver span's parent %s is not among the spans received: %+v", rustRecv.ParentID, spans)
	}
	if parent.Scope == "otelcol-rust" || parent.Kind != ptrace.SpanKindClient {
		t.Errorf("the Rust receiver span's parent is %q (scope %q, kind %v), want the Go bridge exporter's client span", parent.Name, parent.Scope, parent.Kind)
	}
	if rustRecv.Name != rustReceiver || rustRecv.Kind != ptrace.SpanKindServer || rustRecv.StatusCode == ptrace.StatusCodeError {
		t.Errorf("Rust receiver span = %+v", *rustRecv)
	}
	if rustExp.ParentID != rustRecv.SpanID || rustExp.Name != "exporter/otlp_rust/metrics" || rustExp.Kind != ptrace.SpanKindClient {
		t.Errorf("Rust exporter span = %+v, want a client span, child of the Rust receiver span %s", *rustExp, rustRecv.SpanID)
	}
	if rustRecv.Service != "otelcol-hybrid" {
		t.Errorf("Rust spans carry service.name %q, want the distribution's otelcol-hybrid", rustRecv.Service)
	}
	// The chain up to the client's span is unbroken.
	hops := []string{rustExp.Name, rustRecv.Name}
	for id := parent.SpanID; id != clientSpan; {
		s, ok := byID[id]
		if !ok {
			t.Fatalf("span %s on the way from the Rust spans to the client's %s was never received (chain so far %v)", id, clientSpan, hops)
		}
		hops = append(hops, s.Name)
		id = s.ParentID
	}
	t.Logf("trace %s: %s → client span", traceID, strings.Join(hops, " → "))

	// The data backend's request is the Rust exporter span's child.
	testkit.Eventually(t, 10*time.Second, "the data at the backend", func() bool { return len(be.MetricReqs("traced_request")) == 1 })
	if tp := be.MetricReqs("traced_request")[0].MD.Get("traceparent"); len(tp) != 1 || tp[0] != "00-"+traceID+"-"+rustExp.SpanID+"-01" {
		t.Errorf("backend traceparent = %q, want the Rust exporter span 00-%s-%s-01", tp, traceID, rustExp.SpanID)
	}
	// Rust logs of the request name the trace and the Rust receiver span.
	found := false
	for _, e := range entries(h, true, "fault: delaying request") {
		found = found || (spanField(e, "trace_id") == traceID && spanField(e, "span_id") == rustRecv.SpanID)
	}
	if !found {
		t.Errorf("no Rust log line of the request carries trace_id %s and span_id %s", traceID, rustRecv.SpanID)
	}
}
