package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	"github.com/otelcol-hybrid/otelcol-hybrid/internal/testkit"
)

// TestClientMetadataAndTraceContextInRust: metadata a real client sets
// on the Go receiver (include_metadata is turned on by the partitioner) is
// readable by a Rust component — the fault processor's `metadata` selector
// decides on it — case-insensitively, every value of a multi-valued key, with
// :authority, authorization and user-agent as the caller sent them (not the
// bridge hop's); the Rust otlp_rust exporter's forward_metadata sends the
// chosen keys (all values) on to the backend, and nothing else. The W3C trace
// context the client sent reaches Rust (its log lines for the request carry
// the trace id) and the backend (traceparent).
func TestClientMetadataAndTraceContextInRust(t *testing.T) {
	t.Parallel()
	s := startScenario(t, "metadata.yaml", scenarioOpts{})
	be, h, in := s.be, s.h, s.grpc

	const authority, ua = "collector.md.example:4317", "md-client/1.0"
	matching := otlpClient(t, in, grpc.WithAuthority(authority), grpc.WithUserAgent(ua))
	otherAuthority := otlpClient(t, in, grpc.WithAuthority("other.example:4317"), grpc.WithUserAgent(ua))
	otherUA := otlpClient(t, in, grpc.WithAuthority(authority), grpc.WithUserAgent("other-client/1.0"))
	const traceID, spanID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	cases := []struct {
		what   string
		client pmetricotlp.GRPCClient
		metric string
		kv     []string
		want   string // "" = accepted, else the Rust fault message the client must get
	}{
		{"second value of a multi-valued key, other case", matching, "md_blocked", []string{"X-TENANT", "a", "x-tenant", "blocked"}, "tenant-blocked"},
		{":authority + user-agent + authorization all match", matching, "md_conventions", []string{"x-tenant", "a", "authorization", "Bearer md-secret"}, "conventions-matched"},
		{"authorization differs", matching, "md_ok", []string{"x-tenant", "a", "x-tenant", "b", "Authorization", "Bearer other", "x-other", "no", "traceparent", "00-" + traceID + "-" + spanID + "-01"}, ""},
		{":authority differs", otherAuthority, "md_other_authority", []string{"authorization", "Bearer md-secret"}, ""},
		{"user-agent differs", otherUA, "md_other_ua", []string{"authorization", "Bearer md-secret"}, ""},
	}
	for _, c := range cases {
		st, _ := export(ctx, c.client, c.metric, c.kv...)
		switch {
		case c.want == "" && st.Code() != codes.OK:
			t.Errorf("%s: client got %v, want OK", c.what, st)
		case c.want != "" && (st.Code() != codes.Internal || !strings.Contains(st.Message(), c.want)):
			t.Errorf("%s: client got %v, want Internal from the Rust fault %s", c.what, st, c.want)
		}
	}
	// A real client's --otlp-header, too.
	run(t, 2*time.Minute, testkit.Binary(t, "TELEMETRYGEN_BIN"), "metrics", "--otlp-endpoint", in, "--otlp-insecure",
		"--metrics", "1", "--otlp-metric-name", "md_telemetrygen", "--otlp-header", `x-tenant="tg"`)

	// forward_metadata at the backend: chosen keys, all values, nothing else.
	testkit.Eventually(t, 30*time.Second, "the accepted requests at the backend", func() bool {
		return len(be.MetricReqs("md_ok")) == 1 && len(be.MetricReqs("md_telemetrygen")) == 1
	})
	md := be.MetricReqs("md_ok")[0].MD
	if v := md.Get("x-tenant"); strings.Join(v, ",") != "a,b" {
		t.Errorf("backend x-tenant = %q, want [a b]", v)
	}
	if v := md.Get("authorization"); strings.Join(v, ",") != "Bearer other" {
		t.Errorf("backend authorization = %q", v)
	}
	for _, k := range []string{"x-other", "x-otelcol-hybrid-authority", "x-otelcol-hybrid-user-agent"} {
		if v := md.Get(k); len(v) != 0 {
			t.Errorf("backend got %s = %q, which forward_metadata did not choose", k, v)
		}
	}
	if v := be.MetricReqs("md_telemetrygen")[0].MD.Get("x-tenant"); strings.Join(v, ",") != "tg" {
		t.Errorf("telemetrygen --otlp-header x-tenant reached the backend as %q", v)
	}
	if be.Points("md_blocked")+be.Points("md_conventions") != 0 {
		t.Errorf("requests the Rust fault refused reached the backend")
	}

	// Trace context: in Rust's log lines for the request, and at the backend.
	testkit.Eventually(t, 10*time.Second, "Rust log lines of the traced request", func() bool {
		n := 0
		for _, e := range entries(h, true, "fault: delaying request") {
			if spanField(e, "trace_id") == traceID {
				n++
			}
		}
		return n == 1
	})
	tp := md.Get("traceparent")
	if len(tp) != 1 || !strings.HasPrefix(tp[0], "00-"+traceID+"-") {
		t.Fatalf("backend traceparent = %q, want trace id %s", tp, traceID)
	}
	t.Logf("client traceparent span %s → backend traceparent %s", spanID, tp[0])
}
