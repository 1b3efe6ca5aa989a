package e2e

// Data fidelity across the Go ↔ Rust boundary. The same data — from the real
// OpenTelemetry Go SDK and hand-built requests covering the corners of OTLP —
// goes to three collectors at once:
//
//   - all Go (the reference): Go otlp receiver → Go otlp exporter;
//   - Go → Rust: Go otlp receiver → bridge → Rust advanced_filter → Rust otlp_rust;
//   - Rust → Go: Rust rust_otlp receiver → Rust advanced_filter → bridge → Go otlp.
//
// Each backend decodes what it receives with pdata. The all-Go result, minus
// the items named like the Rust filter's drop patterns, must equal what each
// Rust path delivers, item for item and byte for byte (every item is
// compared as the proto encoding of its resource, scope and item, schema URLs
// included), with exact counts per signal.

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"go.opentelemetry.io/collector/pdata/xpdata/entity"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	otellog "go.opentelemetry.io/otel/log"
	otelmetric "go.opentelemetry.io/otel/metric"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/exemplar"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/otelcol-hybrid/otelcol-hybrid/internal/testkit"
	"github.com/otelcol-hybrid/otelcol-hybrid/internal/testkit/otlpbackend"
)

// The drop patterns of advanced_filter in testdata/fidelity_{go_to_rust,rust_to_go}.yaml.
var (
	fidelityDropMetrics = []string{"up", "drop.*", "tmp?"}
	fidelityDropSpans   = []string{"healthcheck", "drop-*"}
	fidelityDropLogs    = []string{"drop me*"}
)

// TestFidelityUnfilteredItemsArriveAsTheAllGoPathDeliversThem is the data
// fidelity proof in both directions, for SDK data and hand-built requests.
func TestFidelityUnfilteredItemsArriveAsTheAllGoPathDeliversThem(t *testing.T) {
	t.Parallel()
	type path struct {
		name, config string
		placement    string // the start-up line saying where the receiver runs
		be           *capturingBackend
		in           string
		h            *hybrid
	}
	paths := []*path{
		{name: "all Go", config: "fidelity_all_go.yaml"},
		{name: "Go → Rust", config: "fidelity_go_to_rust.yaml", placement: "receiver otlp stays in Go: receiver placement is off"},
		{name: "Rust → Go", config: "fidelity_rust_to_go.yaml"},
		// The default placement moves the Go receiver into Rust: no bridge at all.
		{name: "Go receiver placed in Rust", config: "fidelity_placed_receiver.yaml", placement: "receiver otlp runs in the Rust half"},
	}
	for _, p := range paths {
		p.be = startCapturingBackend(t)
		cfg, _ := renderConfig(t, p.config, map[string]string{"BACKEND": p.be.Addr})
		p.h = startHybrid(t, cfg, hybridOpts{})
	}
	var endpoints []string
	for _, p := range paths {
		p.h.waitReady()
		p.in = p.h.listenAddr(grpcIP)
		if p.placement != "" && !strings.Contains(p.h.out.String(), p.placement) {
			t.Fatalf("%s: the start-up log lacks %q", p.name, p.placement)
		}
		endpoints = append(endpoints, p.in)
	}
	ref := paths[0]

	// Hand-built requests, each sent unchanged to every path.
	hand := handBuiltRequests()
	for _, ep := range endpoints {
		sendHandBuilt(t, ep, hand)
	}
	// The SDK: one provider per signal, fanning the same telemetry out to
	// real OTLP/gRPC exporters, one per path.
	sdkSent := sendWithSDK(t, endpoints)

	handSent := hand.counts()
	handKept := hand.keptCounts()
	total := handSent.plus(sdkSent.all)
	kept := handKept.plus(sdkSent.kept)
	t.Logf("sent per path: %v (hand-built %v, SDK %v); the filter keeps %v", total, handSent, sdkSent.all, kept)

	// Wait until each backend has at least what it should get; exact counts
	// and contents are checked once everything has drained.
	testkit.Eventually(t, 2*time.Minute, fmt.Sprintf("all Go backend receives %v", total), func() bool {
		return ref.be.counts().reaches(total)
	})
	for _, p := range paths[1:] {
		testkit.Eventually(t, 2*time.Minute, fmt.Sprintf("%s backend receives %v", p.name, kept), func() bool {
			return p.be.counts().reaches(kept)
		})
	}
	// Drain everything in flight before comparing, so late extras show up.
	for _, p := range paths {
		p.h.stopGracefully(60 * time.Second)
	}

	refM, refT, refL := ref.be.flatten()
	// The reference itself: the all-Go path delivers the hand-built requests
	// exactly as sent (otherwise equality with it would prove little).
	wantM, wantT, wantL := flattenMetrics(hand.metrics), flattenTraces(hand.traces), flattenLogs(hand.logs)
	compareItems(t, "all Go vs hand-built input: metrics", wantM, onlySource(refM, "hand"))
	compareItems(t, "all Go vs hand-built input: traces", wantT, onlySource(refT, "hand"))
	compareItems(t, "all Go vs hand-built input: logs", wantL, onlySource(refL, "hand"))

	refM, refT, refL = withoutDropped(refM), withoutDropped(refT), withoutDropped(refL)
	for _, p := range paths[1:] {
		gotM, gotT, gotL := p.be.flatten()
		for _, src := range []string{"hand", "sdk"} {
			compareItems(t, p.name+" vs all Go: "+src+" metrics", onlySource(refM, src), onlySource(gotM, src))
			compareItems(t, p.name+" vs all Go: "+src+" traces", onlySource(refT, src), onlySource(gotT, src))
			compareItems(t, p.name+" vs all Go: "+src+" logs", onlySource(refL, src), onlySource(gotL, src))
		}
		if got := p.be.counts(); got != kept {
			t.Errorf("%s: backend received %v, want exactly %v", p.name, got, kept)
		}
		// The filter removes scopes and resources it left empty.
		for _, e := range p.be.emptyContainers() {
			t.Errorf("%s: %s", p.name, e)
		}
	}
	if got := ref.be.counts(); got != total {
		t.Errorf("all Go: backend received %v, want exactly %v", got, total)
	}
}

// TestFidelityOverOTLPHTTPProtobufWithTheReceiverPlacedInRust: the
// hand-built requests, posted as OTLP/HTTP protobuf (plain and gzip), reach
// the backend through the Go otlp receiver placed in Rust exactly as through
// the all-Go path, minus what advanced_filter drops.
func TestFidelityOverOTLPHTTPProtobufWithTheReceiverPlacedInRust(t *testing.T) {
	t.Parallel()
	httpFidelity(t, []string{"http-proto", "http-proto-gzip"})
}

// TestFidelityOverOTLPHTTPJSONWithTheReceiverPlacedInRust: the same for
// OTLP/JSON (plain and gzip), as the collector's pdata encodes it: proto3
// JSON omits default values (an empty key, an empty array or kvlist, a value
// with nothing set) and writes NaN and infinities as strings.
func TestFidelityOverOTLPHTTPJSONWithTheReceiverPlacedInRust(t *testing.T) {
	t.Parallel()
	httpFidelity(t, []string{"http-json", "http-json-gzip"})
}

func httpFidelity(t *testing.T, encodings []string) {
	type path struct {
		name, config, in string
		be               *capturingBackend
		h                *hybrid
	}
	ref := &path{name: "all Go", config: "fidelity_http_all_go.yaml"}
	placed := &path{name: "Go receiver placed in Rust", config: "fidelity_http_placed_receiver.yaml"}
	for _, p := range []*path{ref, placed} {
		p.be = startCapturingBackend(t)
		cfg, _ := renderConfig(t, p.config, map[string]string{"BACKEND": p.be.Addr})
		p.h = startHybrid(t, cfg, hybridOpts{})
	}
	for _, p := range []*path{ref, placed} {
		p.h.waitReady()
		p.in = p.h.listenAddr(httpIP)
	}
	if want := "receiver otlp runs in the Rust half"; !strings.Contains(placed.h.out.String(), want) {
		t.Fatalf("the start-up log lacks %q", want)
	}

	// Every request gets its own fidelity.source, so a request the placed
	// receiver refuses is reported once and left out of the comparison.
	type sent struct {
		source string
		in     handRequests
	}
	var accepted []sent
	var total, kept itemCounts
	for _, enc := range encodings {
		for _, one := range handBuiltRequests().each() {
			source := fmt.Sprintf("%s %s #%d", enc, one.signal, one.index)
			h := one.req.tagged(source)
			if err := postRequest("http://"+ref.in, enc, h); err != nil {
				t.Errorf("all Go refused %s: %v", source, err)
				continue
			}
			total = total.plus(h.counts())
			if err := postRequest("http://"+placed.in, enc, h); err != nil {
				t.Errorf("%s refused %s, which the all-Go path accepts: %v", placed.name, source, err)
				continue
			}
			kept = kept.plus(h.keptCounts())
			accepted = append(accepted, sent{source, h})
		}
	}
	testkit.Eventually(t, 2*time.Minute, fmt.Sprintf("all Go backend receives %v", total), func() bool {
		return ref.be.counts().reaches(total)
	})
	testkit.Eventually(t, 2*time.Minute, fmt.Sprintf("%s backend receives %v", placed.name, kept), func() bool {
		return placed.be.counts().reaches(kept)
	})
	ref.h.stopGracefully(60 * time.Second)
	placed.h.stopGracefully(60 * time.Second)

	refM, refT, refL := ref.be.flatten()
	gotM, gotT, gotL := placed.be.flatten()
	for _, a := range accepted {
		src, in := a.source, a.in
		switch {
		case len(in.metrics) > 0:
			compareItems(t, "all Go vs input, "+src, flattenMetrics(in.metrics), onlySource(refM, src))
			compareItems(t, placed.name+" vs all Go, "+src, withoutDropped(onlySource(refM, src)), onlySource(gotM, src))
		case len(in.traces) > 0:
			compareItems(t, "all Go vs input, "+src, flattenTraces(in.traces), onlySource(refT, src))
			compareItems(t, placed.name+" vs all Go, "+src, withoutDropped(onlySource(refT, src)), onlySource(gotT, src))
		default:
			compareItems(t, "all Go vs input, "+src, flattenLogs(in.logs), onlySource(refL, src))
			compareItems(t, placed.name+" vs all Go, "+src, withoutDropped(onlySource(refL, src)), onlySource(gotL, src))
		}
	}
	if got := ref.be.counts(); got != total {
		t.Errorf("all Go: backend received %v, want exactly %v", got, total)
	}
	if got := placed.be.counts(); got != kept {
		t.Errorf("%s: backend received %v, want exactly %v", placed.name, got, kept)
	}
	for _, e := range placed.be.emptyContainers() {
		t.Errorf("%s: %s", placed.name, e)
	}
}

// postRequest posts the one request in h to baseURL's standard OTLP/HTTP
// path, encoded as enc says (http-proto, http-json, optionally -gzip).
func postRequest(baseURL, enc string, h handRequests) error {
	var path string
	var req interface {
		MarshalProto() ([]byte, error)
		MarshalJSON() ([]byte, error)
	}
	switch {
	case len(h.metrics) == 1:
		path, req = "/v1/metrics", pmetricotlp.NewExportRequestFromMetrics(h.metrics[0])
	case len(h.traces) == 1:
		path, req = "/v1/traces", ptraceotlp.NewExportRequestFromTraces(h.traces[0])
	case len(h.logs) == 1:
		path, req = "/v1/logs", plogotlp.NewExportRequestFromLogs(h.logs[0])
	default:
		return fmt.Errorf("postRequest takes one request")
	}
	var payload []byte
	var err error
	contentType := "application/json"
	if strings.HasPrefix(enc, "http-proto") {
		contentType = "application/x-protobuf"
		payload, err = req.MarshalProto()
	} else {
		payload, err = req.MarshalJSON()
	}
	if err != nil {
		return err
	}
	gzipped := strings.HasSuffix(enc, "-gzip")
	var buf bytes.Buffer
	if gzipped {
		zw := gzip.NewWriter(&buf)
		if _, err := zw.Write(payload); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
	} else {
		buf.Write(payload)
	}
	hreq, err := http.NewRequest(http.MethodPost, baseURL+path, &buf)
	if err != nil {
		return err
	}
	hreq.Header.Set("Content-Type", contentType)
	if gzipped {
		hreq.Header.Set("Content-Encoding", "gzip")
	}
	resp, err := http.DefaultClient.Do(hreq)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s %s", path, resp.Status, body)
	}
	return nil
}

// ---------------------------------------------------------------------------
// Counting and comparing.

// itemCounts counts metrics, data points, spans and log records.
type itemCounts struct{ Metrics, Points, Spans, Logs int }

func (c itemCounts) plus(o itemCounts) itemCounts {
	return itemCounts{c.Metrics + o.Metrics, c.Points + o.Points, c.Spans + o.Spans, c.Logs + o.Logs}
}

// reaches reports whether c is at least want in every count.
func (c itemCounts) reaches(want itemCounts) bool {
	return c.Metrics >= want.Metrics && c.Points >= want.Points && c.Spans >= want.Spans && c.Logs >= want.Logs
}

func (c itemCounts) String() string {
	return fmt.Sprintf("%d metrics (%d points), %d spans, %d logs", c.Metrics, c.Points, c.Spans, c.Logs)
}

// globMatch matches name against a pattern of `*` (any run) and `?` (one
// character), the advanced_filter syntax.
func globMatch(pattern, name string) bool {
	p, n := []rune(pattern), []rune(name)
	var match func(i, j int) bool
	match = func(i, j int) bool {
		for i < len(p) {
			switch p[i] {
			case '*':
				for k := j; k <= len(n); k++ {
					if match(i+1, k) {
						return true
					}
				}
				return false
			case '?':
				if j >= len(n) {
					return false
				}
			default:
				if j >= len(n) || n[j] != p[i] {
					return false
				}
			}
			i++
			j++
		}
		return j == len(n)
	}
	return match(0, 0)
}

func matchesAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if globMatch(p, name) {
			return true
		}
	}
	return false
}

// flatItem is one metric, span or log record with its resource and scope:
// key is the proto encoding of a request holding only that item, so two
// items are equal when every field, schema URLs and entity refs included,
// is.
type flatItem struct {
	key     string
	json    string
	source  string // see sourceOf
	dropped bool   // the Rust filter drops it
	label   string // e.g. metric "x" in scope "y" of service "z"
	points  int
}

func labelOf(kind, name string, res pcommon.Resource, scope pcommon.InstrumentationScope) string {
	svc := ""
	if v, ok := res.Attributes().Get("service.name"); ok {
		svc = v.AsString()
	}
	return fmt.Sprintf("%s %q in scope %q %q of service %q", kind, name, scope.Name(), scope.Version(), svc)
}

// sourceOf is the resource attribute fidelity.source: "sdk", "hand" (also
// when absent) or how the hand-built requests were encoded.
func sourceOf(res pcommon.Resource) string {
	if v, ok := res.Attributes().Get("fidelity.source"); ok {
		return v.AsString()
	}
	return "hand"
}

func flattenMetrics(batches []pmetric.Metrics) []flatItem {
	var out []flatItem
	pm, jm := &pmetric.ProtoMarshaler{}, &pmetric.JSONMarshaler{}
	for _, md := range batches {
		for i := 0; i < md.ResourceMetrics().Len(); i++ {
			rm := md.ResourceMetrics().At(i)
			for j := 0; j < rm.ScopeMetrics().Len(); j++ {
				sm := rm.ScopeMetrics().At(j)
				for k := 0; k < sm.Metrics().Len(); k++ {
					m := sm.Metrics().At(k)
					one := pmetric.NewMetrics()
					orm := one.ResourceMetrics().AppendEmpty()
					rm.Resource().CopyTo(orm.Resource())
					orm.SetSchemaUrl(rm.SchemaUrl())
					osm := orm.ScopeMetrics().AppendEmpty()
					sm.Scope().CopyTo(osm.Scope())
					osm.SetSchemaUrl(sm.SchemaUrl())
					m.CopyTo(osm.Metrics().AppendEmpty())
					b, err := pm.MarshalMetrics(one)
					if err != nil {
						panic(err)
					}
					js, _ := jm.MarshalMetrics(one)
					out = append(out, flatItem{key: string(b), json: string(js), source: sourceOf(rm.Resource()),
						dropped: matchesAny(fidelityDropMetrics, m.Name()), points: dataPointCount(m),
						label: labelOf("metric", m.Name(), rm.Resource(), sm.Scope())})
				}
			}
		}
	}
	return out
}

func flattenTraces(batches []ptrace.Traces) []flatItem {
	var out []flatItem
	pm, jm := &ptrace.ProtoMarshaler{}, &ptrace.JSONMarshaler{}
	for _, td := range batches {
		for i := 0; i < td.ResourceSpans().Len(); i++ {
			rs := td.ResourceSpans().At(i)
			for j := 0; j < rs.ScopeSpans().Len(); j++ {
				ss := rs.ScopeSpans().At(j)
				for k := 0; k < ss.Spans().Len(); k++ {
					sp := ss.Spans().At(k)
					one := ptrace.NewTraces()
					ors := one.ResourceSpans().AppendEmpty()
					rs.Resource().CopyTo(ors.Resource())
					ors.SetSchemaUrl(rs.SchemaUrl())
					oss := ors.ScopeSpans().AppendEmpty()
					ss.Scope().CopyTo(oss.Scope())
					oss.SetSchemaUrl(ss.SchemaUrl())
					sp.CopyTo(oss.Spans().AppendEmpty())
					b, err := pm.MarshalTraces(one)
					if err != nil {
						panic(err)
					}
					js, _ := jm.MarshalTraces(one)
					out = append(out, flatItem{key: string(b), json: string(js), source: sourceOf(rs.Resource()),
						dropped: matchesAny(fidelityDropSpans, sp.Name()), label: labelOf("span", sp.Name(), rs.Resource(), ss.Scope())})
				}
			}
		}
	}
	return out
}

func flattenLogs(batches []plog.Logs) []flatItem {
	var out []flatItem
	pm, jm := &plog.ProtoMarshaler{}, &plog.JSONMarshaler{}
	for _, ld := range batches {
		for i := 0; i < ld.ResourceLogs().Len(); i++ {
			rl := ld.ResourceLogs().At(i)
			for j := 0; j < rl.ScopeLogs().Len(); j++ {
				sl := rl.ScopeLogs().At(j)
				for k := 0; k < sl.LogRecords().Len(); k++ {
					lr := sl.LogRecords().At(k)
					one := plog.NewLogs()
					orl := one.ResourceLogs().AppendEmpty()
					rl.Resource().CopyTo(orl.Resource())
					orl.SetSchemaUrl(rl.SchemaUrl())
					osl := orl.ScopeLogs().AppendEmpty()
					sl.Scope().CopyTo(osl.Scope())
					osl.SetSchemaUrl(sl.SchemaUrl())
					lr.CopyTo(osl.LogRecords().AppendEmpty())
					b, err := pm.MarshalLogs(one)
					if err != nil {
						panic(err)
					}
					js, _ := jm.MarshalLogs(one)
					// Only string bodies are matched; other bodies always pass.
					dropped := lr.Body().Type() == pcommon.ValueTypeStr && matchesAny(fidelityDropLogs, lr.Body().Str())
					out = append(out, flatItem{key: string(b), json: string(js), source: sourceOf(rl.Resource()), dropped: dropped,
						label: labelOf("log with body", lr.Body().AsString(), rl.Resource(), sl.Scope())})
				}
			}
		}
	}
	return out
}

func onlySource(items []flatItem, source string) []flatItem {
	var out []flatItem
	for _, it := range items {
		if it.source == source {
			out = append(out, it)
		}
	}
	return out
}

func withoutDropped(items []flatItem) []flatItem {
	var out []flatItem
	for _, it := range items {
		if !it.dropped {
			out = append(out, it)
		}
	}
	return out
}

// compareItems requires got and want to hold the same items the same number
// of times. For an item that differs it shows where its OTLP JSON first
// differs from the closest item it got; otherwise the item as JSON.
func compareItems(t *testing.T, what string, want, got []flatItem) {
	t.Helper()
	count := map[string]int{}
	byKey := map[string]flatItem{}
	for _, it := range want {
		count[it.key]++
		byKey[it.key] = it
	}
	for _, it := range got {
		count[it.key]--
		byKey[it.key] = it
	}
	var missing, extra []flatItem
	for k, n := range count {
		for ; n > 0; n-- {
			missing = append(missing, byKey[k])
		}
		for ; n < 0; n++ {
			extra = append(extra, byKey[k])
		}
	}
	if len(missing) == 0 && len(extra) == 0 && len(want) == len(got) {
		t.Logf("%s: %d items equal", what, len(got))
		return
	}
	byJSON := func(l []flatItem) { sort.Slice(l, func(i, j int) bool { return l[i].json < l[j].json }) }
	byJSON(missing)
	byJSON(extra)
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d items, want %d; %d missing or different, %d unexpected or different",
		what, len(got), len(want), len(missing), len(extra))
	used := make([]bool, len(extra))
	for i, m := range missing {
		if i == 5 {
			fmt.Fprintf(&b, "\n  … and %d more", len(missing)-i)
			break
		}
		best, bestLen := -1, -1
		for j, e := range extra {
			if n := commonPrefix(m.json, e.json); !used[j] && n > bestLen {
				best, bestLen = j, n
			}
		}
		if best < 0 {
			fmt.Fprintf(&b, "\n  missing: %s", clip(m.json, 0, 1500))
			continue
		}
		used[best] = true
		e := extra[best].json
		fmt.Fprintf(&b, "\n  %s\n    differs at byte %d: …%s\n      want: %s…\n      got:  %s…",
			m.label, bestLen, clip(m.json, bestLen-160, bestLen), clip(m.json, bestLen, bestLen+160), clip(e, bestLen, bestLen+160))
	}
	shown := 0
	for j, e := range extra {
		if used[j] {
			continue
		}
		if shown++; shown > 5 {
			fmt.Fprintf(&b, "\n  … and more unexpected")
			break
		}
		fmt.Fprintf(&b, "\n  unexpected %s: %s", e.label, clip(e.json, 0, 1500))
	}
	t.Error(b.String())
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// clip returns s[from:to], bounds clamped.
func clip(s string, from, to int) string {
	from, to = max(from, 0), min(to, len(s))
	if from >= to {
		return ""
	}
	return strings.ToValidUTF8(s[from:to], "")
}

// ---------------------------------------------------------------------------
// A backend that keeps everything it receives.

type capturingBackend struct {
	Addr string

	mu      sync.Mutex
	metrics []pmetric.Metrics
	traces  []ptrace.Traces
	logs    []plog.Logs
}

func startCapturingBackend(t *testing.T) *capturingBackend {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &capturingBackend{Addr: l.Addr().String()}
	srv := otlpbackend.Serve(l, otlpbackend.Handlers{
		Traces:  keep(&b.mu, &b.traces, ptrace.NewTraces),
		Metrics: keep(&b.mu, &b.metrics, pmetric.NewMetrics),
		Logs:    keep(&b.mu, &b.logs, plog.NewLogs),
	})
	t.Cleanup(srv.Stop)
	return b
}

// keep is a handler that appends a copy of each request's data to *into
// (under mu): the request's own data is not the handler's to keep.
func keep[T interface{ CopyTo(T) }](mu *sync.Mutex, into *[]T, empty func() T) func(context.Context, T) error {
	return func(_ context.Context, in T) error {
		kept := empty()
		in.CopyTo(kept)
		mu.Lock()
		defer mu.Unlock()
		*into = append(*into, kept)
		return nil
	}
}

func (b *capturingBackend) counts() itemCounts {
	b.mu.Lock()
	defer b.mu.Unlock()
	return countAll(b.metrics, b.traces, b.logs)
}

func countAll(metrics []pmetric.Metrics, traces []ptrace.Traces, logs []plog.Logs) itemCounts {
	var c itemCounts
	for _, md := range metrics {
		c.Metrics += md.MetricCount()
		c.Points += md.DataPointCount()
	}
	for _, td := range traces {
		c.Spans += td.SpanCount()
	}
	for _, ld := range logs {
		c.Logs += ld.LogRecordCount()
	}
	return c
}

func (b *capturingBackend) flatten() (m, tr, l []flatItem) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return flattenMetrics(b.metrics), flattenTraces(b.traces), flattenLogs(b.logs)
}

// emptyContainers describes every resource or scope received without items.
func (b *capturingBackend) emptyContainers() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, md := range b.metrics {
		for i := 0; i < md.ResourceMetrics().Len(); i++ {
			rm := md.ResourceMetrics().At(i)
			if rm.ScopeMetrics().Len() == 0 {
				out = append(out, "a resource without scopes in a metrics request")
			}
			for j := 0; j < rm.ScopeMetrics().Len(); j++ {
				if rm.ScopeMetrics().At(j).Metrics().Len() == 0 {
					out = append(out, fmt.Sprintf("scope %q without metrics", rm.ScopeMetrics().At(j).Scope().Name()))
				}
			}
		}
	}
	for _, td := range b.traces {
		for i := 0; i < td.ResourceSpans().Len(); i++ {
			rs := td.ResourceSpans().At(i)
			if rs.ScopeSpans().Len() == 0 {
				out = append(out, "a resource without scopes in a traces request")
			}
			for j := 0; j < rs.ScopeSpans().Len(); j++ {
				if rs.ScopeSpans().At(j).Spans().Len() == 0 {
					out = append(out, fmt.Sprintf("scope %q without spans", rs.ScopeSpans().At(j).Scope().Name()))
				}
			}
		}
	}
	for _, ld := range b.logs {
		for i := 0; i < ld.ResourceLogs().Len(); i++ {
			rl := ld.ResourceLogs().At(i)
			if rl.ScopeLogs().Len() == 0 {
				out = append(out, "a resource without scopes in a logs request")
			}
			for j := 0; j < rl.ScopeLogs().Len(); j++ {
				if rl.ScopeLogs().At(j).LogRecords().Len() == 0 {
					out = append(out, fmt.Sprintf("scope %q without log records", rl.ScopeLogs().At(j).Scope().Name()))
				}
			}
		}
	}
	return out
}

// ---------------------------------------------------------------------------
// Hand-built requests.

type handRequests struct {
	metrics []pmetric.Metrics
	traces  []ptrace.Traces
	logs    []plog.Logs
}

type oneRequest struct {
	signal string
	index  int
	req    handRequests // holding this one request
}

// each splits h into its requests.
func (h handRequests) each() []oneRequest {
	var out []oneRequest
	for i, md := range h.metrics {
		out = append(out, oneRequest{"metrics", i, handRequests{metrics: []pmetric.Metrics{md}}})
	}
	for i, td := range h.traces {
		out = append(out, oneRequest{"traces", i, handRequests{traces: []ptrace.Traces{td}}})
	}
	for i, ld := range h.logs {
		out = append(out, oneRequest{"logs", i, handRequests{logs: []plog.Logs{ld}}})
	}
	return out
}

// tagged returns a copy of h with fidelity.source=source on every resource.
func (h handRequests) tagged(source string) handRequests {
	var out handRequests
	for _, md := range h.metrics {
		c := pmetric.NewMetrics()
		md.CopyTo(c)
		for i := 0; i < c.ResourceMetrics().Len(); i++ {
			c.ResourceMetrics().At(i).Resource().Attributes().PutStr("fidelity.source", source)
		}
		out.metrics = append(out.metrics, c)
	}
	for _, td := range h.traces {
		c := ptrace.NewTraces()
		td.CopyTo(c)
		for i := 0; i < c.ResourceSpans().Len(); i++ {
			c.ResourceSpans().At(i).Resource().Attributes().PutStr("fidelity.source", source)
		}
		out.traces = append(out.traces, c)
	}
	for _, ld := range h.logs {
		c := plog.NewLogs()
		ld.CopyTo(c)
		for i := 0; i < c.ResourceLogs().Len(); i++ {
			c.ResourceLogs().At(i).Resource().Attributes().PutStr("fidelity.source", source)
		}
		out.logs = append(out.logs, c)
	}
	return out
}

func (h handRequests) counts() itemCounts { return countAll(h.metrics, h.traces, h.logs) }

func (h handRequests) keptCounts() itemCounts {
	var c itemCounts
	for _, it := range withoutDropped(flattenMetrics(h.metrics)) {
		c.Metrics++
		c.Points += it.points
	}
	c.Spans = len(withoutDropped(flattenTraces(h.traces)))
	c.Logs = len(withoutDropped(flattenLogs(h.logs)))
	return c
}

func sendHandBuilt(t *testing.T, endpoint string, h handRequests) {
	t.Helper()
	conn, err := grpc.NewClient(endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i, md := range h.metrics {
		if _, err := pmetricotlp.NewGRPCClient(conn).Export(ctx, pmetricotlp.NewExportRequestFromMetrics(md)); err != nil {
			t.Fatalf("metrics request %d to %s: %v", i, endpoint, err)
		}
	}
	for i, td := range h.traces {
		if _, err := ptraceotlp.NewGRPCClient(conn).Export(ctx, ptraceotlp.NewExportRequestFromTraces(td)); err != nil {
			t.Fatalf("traces request %d to %s: %v", i, endpoint, err)
		}
	}
	for i, ld := range h.logs {
		if _, err := plogotlp.NewGRPCClient(conn).Export(ctx, plogotlp.NewExportRequestFromLogs(ld)); err != nil {
			t.Fatalf("logs request %d to %s: %v", i, endpoint, err)
		}
	}
}

var (
	fidTraceID  = pcommon.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}
	fidTraceID2 = pcommon.TraceID{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}
	fidSpanID   = pcommon.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7}
	fidSpanID2  = pcommon.SpanID{0x53, 0x99, 0x5c, 0x3f, 0x42, 0xcd, 0x8a, 0xd8}
	fidSpanID3  = pcommon.SpanID{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08}
	fidT0       = pcommon.Timestamp(1_700_000_000_123_456_789)
)

// fillAttrs puts every kind of attribute value into m: strings in several
// scripts, empty strings and keys, ints at their limits, doubles, bools,
// bytes, arrays, nested kvlists and an empty value.
func fillAttrs(m pcommon.Map, prefix string) {
	m.PutStr(prefix+"str", "plain ascii")
	m.PutStr(prefix+"cyrillic", "Привет, мир")
	m.PutStr(prefix+"cjk", "你好，世界 こんにちは 안녕하세요")
	m.PutStr(prefix+"emoji", "🚀🔥👩‍💻🇺🇦")
	m.PutStr(prefix+"empty.str", "")
	m.PutStr(prefix+"ключ.键.🔑", "key in three scripts")
	m.PutStr("", "empty key")
	m.PutInt(prefix+"int", 42)
	m.PutInt(prefix+"int.min", math.MinInt64)
	m.PutInt(prefix+"int.max", math.MaxInt64)
	m.PutInt(prefix+"int.zero", 0)
	m.PutDouble(prefix+"double", 3.141592653589793)
	m.PutDouble(prefix+"double.tiny", -5e-324)
	m.PutDouble(prefix+"double.zero", 0)
	m.PutBool(prefix+"bool.true", true)
	m.PutBool(prefix+"bool.false", false)
	m.PutEmptyBytes(prefix + "bytes").FromRaw([]byte{0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff})
	m.PutEmptyBytes(prefix + "bytes.empty")
	m.PutEmpty(prefix + "empty.value")
	arr := m.PutEmptySlice(prefix + "array")
	arr.AppendEmpty().SetStr("один")
	arr.AppendEmpty().SetInt(-7)
	arr.AppendEmpty().SetDouble(2.5)
	arr.AppendEmpty().SetBool(true)
	arr.AppendEmpty().SetEmptyBytes().FromRaw([]byte("bytes in an array"))
	arr.AppendEmpty() // empty value in an array
	inner := arr.AppendEmpty().SetEmptySlice()
	inner.AppendEmpty().SetStr("nested 嵌套")
	inner.AppendEmpty().SetEmptyMap().PutStr("k", "v")
	kv := arr.AppendEmpty().SetEmptyMap()
	kv.PutStr("in.array", "🎯")
	m.PutEmptySlice(prefix + "array.empty")
	deep := m.PutEmptyMap(prefix + "kvlist")
	deep.PutStr("level1", "первый")
	l2 := deep.PutEmptyMap("level2")
	l2.PutInt("n", 2)
	l3 := l2.PutEmptyMap("level3")
	l3.PutEmptySlice("list").AppendEmpty().SetEmptyMap().PutBool("deepest", true)
	l3.PutEmptyBytes("b").FromRaw([]byte{0xde, 0xad, 0xbe, 0xef})
	m.PutEmptyMap(prefix + "kvlist.empty")
}

func fillResource(res pcommon.Resource, service string) {
	res.Attributes().PutStr("fidelity.source", "hand")
	res.Attributes().PutStr("service.name", service)
	fillAttrs(res.Attributes(), "res.")
	res.SetDroppedAttributesCount(3)
	refs := entity.ResourceEntityRefs(res)
	ref := refs.AppendEmpty()
	ref.SetType("service")
	ref.SetSchemaUrl("https://opentelemetry.io/schemas/1.30.0")
	ref.IdKeys().Append("service.name")
	ref.DescriptionKeys().Append("res.str", "res.cyrillic")
	host := refs.AppendEmpty()
	host.SetType("хост")
	host.IdKeys().Append("res.cjk")
}

func fillScope(sc pcommon.InstrumentationScope, name, version string) {
	sc.SetName(name)
	sc.SetVersion(version)
	fillAttrs(sc.Attributes(), "scope.")
	sc.SetDroppedAttributesCount(2)
}

func fillExemplar(e pmetric.Exemplar, v float64, asInt bool) {
	e.SetTimestamp(fidT0 + 5)
	if asInt {
		e.SetIntValue(int64(v))
	} else {
		e.SetDoubleValue(v)
	}
	e.SetTraceID(fidTraceID)
	e.SetSpanID(fidSpanID)
	e.FilteredAttributes().PutStr("user.id", "пользователь-7")
	e.FilteredAttributes().PutEmptyBytes("raw").FromRaw([]byte{1, 2, 3})
}

// addGauge appends a gauge of one int point (a metric the filter may drop).
func addGauge(ms pmetric.MetricSlice, name string) {
	m := ms.AppendEmpty()
	m.SetName(name)
	dp := m.SetEmptyGauge().DataPoints().AppendEmpty()
	dp.SetTimestamp(fidT0)
	dp.SetIntValue(1)
	dp.Attributes().PutStr("name", name)
}

func handMetrics() []pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.SetSchemaUrl("https://opentelemetry.io/schemas/1.26.0")
	fillResource(rm.Resource(), "fidelity-метрики")
	sm := rm.ScopeMetrics().AppendEmpty()
	sm.SetSchemaUrl("https://opentelemetry.io/schemas/1.25.0")
	fillScope(sm.Scope(), "fidelity/метрики/指标", "1.0.0-β")
	ms := sm.Metrics()

	addGauge(ms, "drop.first") // dropped at the start of a scope

	g := ms.AppendEmpty()
	g.SetName("gauge.int")
	g.SetDescription("an int gauge")
	g.SetUnit("{item}")
	gauge := g.SetEmptyGauge()
	for i, v := range []int64{math.MinInt64, 0, math.MaxInt64} {
		dp := gauge.DataPoints().AppendEmpty()
		dp.SetStartTimestamp(fidT0 - 1000)
		dp.SetTimestamp(fidT0 + pcommon.Timestamp(i))
		dp.SetIntValue(v)
		fillAttrs(dp.Attributes(), "dp.")
		fillExemplar(dp.Exemplars().AppendEmpty(), 9, true)
	}
	g.Gauge().DataPoints().At(1).SetFlags(pmetric.DefaultDataPointFlags.WithNoRecordedValue(true))

	s := ms.AppendEmpty()
	s.SetName("requests_total")
	s.SetDescription("Запросы всего, 请求总数 📈")
	s.SetUnit("1")
	s.Metadata().PutStr("prometheus.type", "counter")
	sum := s.SetEmptySum()
	sum.SetIsMonotonic(true)
	sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	for i, v := range []float64{0, 1.5, math.Inf(1), math.NaN(), math.Copysign(0, -1)} {
		dp := sum.DataPoints().AppendEmpty()
		dp.SetStartTimestamp(fidT0)
		dp.SetTimestamp(fidT0 + pcommon.Timestamp(i*1000))
		dp.SetDoubleValue(v)
		dp.Attributes().PutStr("method", []string{"GET", "POST", "ПОЛУЧИТЬ", "获取", "🛰"}[i])
	}

	h := ms.AppendEmpty()
	h.SetName("http.server.request.duration")
	h.SetUnit("s")
	hist := h.SetEmptyHistogram()
	hist.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
	dp := hist.DataPoints().AppendEmpty()
	dp.SetStartTimestamp(fidT0)
	dp.SetTimestamp(fidT0 + 10)
	dp.SetCount(12)
	dp.SetSum(3.75)
	dp.SetMin(0.001)
	dp.SetMax(2.5)
	dp.ExplicitBounds().FromRaw([]float64{0.005, 0.01, 0.1, 1, 2.5})
	dp.BucketCounts().FromRaw([]uint64{1, 2, 3, 4, 2, 0})
	fillExemplar(dp.Exemplars().AppendEmpty(), 0.0042, false)
	fillExemplar(dp.Exemplars().AppendEmpty(), 2, true)
	dp.Attributes().PutStr("http.route", "/api/用户/{id}")
	dp2 := hist.DataPoints().AppendEmpty() // no sum/min/max, no buckets, no recorded value
	dp2.SetTimestamp(fidT0 + 11)
	dp2.SetFlags(pmetric.DefaultDataPointFlags.WithNoRecordedValue(true))

	addGauge(ms, "drop.middle") // dropped between kept metrics

	e := ms.AppendEmpty()
	e.SetName("latency.exponential")
	eh := e.SetEmptyExponentialHistogram()
	eh.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	for _, scale := range []int32{3, -2} {
		edp := eh.DataPoints().AppendEmpty()
		edp.SetStartTimestamp(fidT0)
		edp.SetTimestamp(fidT0 + 20)
		edp.SetScale(scale)
		edp.SetCount(31)
		edp.SetSum(-12.25)
		edp.SetMin(-40)
		edp.SetMax(17.5)
		edp.SetZeroCount(4)
		edp.SetZeroThreshold(1e-9)
		edp.Positive().SetOffset(5)
		edp.Positive().BucketCounts().FromRaw([]uint64{1, 0, 3, 7})
		edp.Negative().SetOffset(-3)
		edp.Negative().BucketCounts().FromRaw([]uint64{2, 9, 0, 5})
		fillExemplar(edp.Exemplars().AppendEmpty(), -39.5, false)
		edp.Attributes().PutStr("scale", fmt.Sprint(scale))
	}

	su := ms.AppendEmpty()
	su.SetName("rpc.server.duration.summary")
	sdp := su.SetEmptySummary().DataPoints().AppendEmpty()
	sdp.SetStartTimestamp(fidT0)
	sdp.SetTimestamp(fidT0 + 30)
	sdp.SetCount(1000)
	sdp.SetSum(123.456)
	for _, q := range [][2]float64{{0, 0.001}, {0.5, 0.1}, {0.99, 1.9}, {1, math.NaN()}} {
		qv := sdp.QuantileValues().AppendEmpty()
		qv.SetQuantile(q[0])
		qv.SetValue(q[1])
	}
	fillAttrs(sdp.Attributes(), "summary.")

	addGauge(ms, "") // an empty name: no pattern matches it
	u := ms.AppendEmpty()
	u.SetName("температура.温度.🌡")
	u.SetUnit("°C")
	u.SetDescription("Температура 温度 🌡")
	udp := u.SetEmptyGauge().DataPoints().AppendEmpty()
	udp.SetTimestamp(fidT0)
	udp.SetDoubleValue(-273.15)

	addGauge(ms, "upper") // kept: `up` is exact
	addGauge(ms, "up")    // dropped
	addGauge(ms, "tmp1")  // dropped by tmp?
	addGauge(ms, "tmp12") // kept
	addGauge(ms, "drop.last")

	// A scope left empty by the filter disappears.
	sm2 := rm.ScopeMetrics().AppendEmpty()
	sm2.SetSchemaUrl("https://example.com/dropped-scope")
	addGauge(sm2.Metrics(), "drop.only.a")
	addGauge(sm2.Metrics(), "drop.only.b")

	// A scope with an empty name and no version, same name as the first but
	// another version, then an int sum that is not monotonic.
	sm3 := rm.ScopeMetrics().AppendEmpty()
	ds := sm3.Metrics().AppendEmpty()
	ds.SetName("queue.depth")
	dsum := ds.SetEmptySum()
	dsum.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
	dsum.SetIsMonotonic(false)
	ddp := dsum.DataPoints().AppendEmpty()
	ddp.SetTimestamp(fidT0)
	ddp.SetIntValue(-5)
	sm4 := rm.ScopeMetrics().AppendEmpty()
	fillScope(sm4.Scope(), "fidelity/метрики/指标", "2.0.0")
	addGauge(sm4.Metrics(), "second.version")

	// A resource left empty by the filter disappears.
	rm2 := md.ResourceMetrics().AppendEmpty()
	rm2.SetSchemaUrl("https://example.com/dropped-resource")
	fillResource(rm2.Resource(), "all-dropped")
	addGauge(rm2.ScopeMetrics().AppendEmpty().Metrics(), "drop.resource")

	// A bare resource: no attributes, no schema URLs, an empty scope.
	rm3 := md.ResourceMetrics().AppendEmpty()
	addGauge(rm3.ScopeMetrics().AppendEmpty().Metrics(), "bare")

	// A request the filter empties completely.
	md2 := pmetric.NewMetrics()
	rmx := md2.ResourceMetrics().AppendEmpty()
	fillResource(rmx.Resource(), "only-dropped")
	addGauge(rmx.ScopeMetrics().AppendEmpty().Metrics(), "up")
	addGauge(rmx.ScopeMetrics().AppendEmpty().Metrics(), "drop.whole.request")

	// A small request after it, to prove the path goes on.
	md3 := pmetric.NewMetrics()
	rmy := md3.ResourceMetrics().AppendEmpty()
	rmy.Resource().Attributes().PutStr("fidelity.source", "hand")
	rmy.SetSchemaUrl("https://opentelemetry.io/schemas/1.26.0")
	sy := rmy.ScopeMetrics().AppendEmpty()
	sy.Scope().SetName("после")
	addGauge(sy.Metrics(), "after.empty.request")
	return []pmetric.Metrics{md, md2, md3}
}

func fillSpan(sp ptrace.Span, name string, kind ptrace.SpanKind) {
	sp.SetName(name)
	sp.SetKind(kind)
	sp.SetTraceID(fidTraceID)
	sp.SetSpanID(fidSpanID2)
	sp.SetStartTimestamp(fidT0)
	sp.SetEndTimestamp(fidT0 + 1_500_000)
}

func handTraces() []ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.SetSchemaUrl("https://opentelemetry.io/schemas/1.26.0")
	fillResource(rs.Resource(), "fidelity-трассы")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.SetSchemaUrl("https://opentelemetry.io/schemas/1.21.0")
	fillScope(ss.Scope(), "fidelity/трассы/追踪", "3.1.4")
	spans := ss.Spans()

	fillSpan(spans.AppendEmpty(), "drop-first", ptrace.SpanKindInternal)

	sp := spans.AppendEmpty()
	fillSpan(sp, "GET /api/用户/{id} 🚀", ptrace.SpanKindServer)
	sp.SetParentSpanID(fidSpanID)
	sp.TraceState().FromRaw("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")
	sp.SetFlags(0x301)
	fillAttrs(sp.Attributes(), "span.")
	sp.SetDroppedAttributesCount(7)
	ev := sp.Events().AppendEmpty()
	ev.SetName("exception")
	ev.SetTimestamp(fidT0 + 100)
	ev.Attributes().PutStr("exception.message", "ошибка: 文件未找到 💥")
	ev.Attributes().PutStr("exception.type", "io.Error")
	ev.SetDroppedAttributesCount(1)
	ev2 := sp.Events().AppendEmpty() // empty name, no attributes
	ev2.SetTimestamp(fidT0 + 200)
	ev3 := sp.Events().AppendEmpty()
	ev3.SetName("событие 事件")
	fillAttrs(ev3.Attributes(), "event.")
	sp.SetDroppedEventsCount(4)
	ln := sp.Links().AppendEmpty()
	ln.SetTraceID(fidTraceID2)
	ln.SetSpanID(fidSpanID3)
	ln.TraceState().FromRaw("vendor1=opaque,vendor2=значение")
	ln.SetFlags(1)
	fillAttrs(ln.Attributes(), "link.")
	ln.SetDroppedAttributesCount(2)
	ln2 := sp.Links().AppendEmpty() // a link with only ids
	ln2.SetTraceID(fidTraceID)
	ln2.SetSpanID(fidSpanID)
	sp.SetDroppedLinksCount(5)
	sp.Status().SetCode(ptrace.StatusCodeError)
	sp.Status().SetMessage("сбой 失败 ❌")

	fillSpan(spans.AppendEmpty(), "healthcheck", ptrace.SpanKindServer) // dropped (exact)
	fillSpan(spans.AppendEmpty(), "healthcheck2", ptrace.SpanKindClient)
	empty := spans.AppendEmpty()
	fillSpan(empty, "", ptrace.SpanKindUnspecified)
	empty.Status().SetCode(ptrace.StatusCodeOk)
	fillSpan(spans.AppendEmpty(), "drop-middle", ptrace.SpanKindProducer)
	cons := spans.AppendEmpty()
	fillSpan(cons, "consume 消费", ptrace.SpanKindConsumer)
	cons.SetSpanID(fidSpanID3)
	cons.SetParentSpanID(fidSpanID2)
	fillSpan(spans.AppendEmpty(), "drop-last", ptrace.SpanKindInternal)

	ss2 := rs.ScopeSpans().AppendEmpty() // emptied by the filter
	fillScope(ss2.Scope(), "dropped-scope", "")
	fillSpan(ss2.Spans().AppendEmpty(), "drop-all-1", ptrace.SpanKindInternal)
	fillSpan(ss2.Spans().AppendEmpty(), "drop-all-2", ptrace.SpanKindInternal)

	ss3 := rs.ScopeSpans().AppendEmpty() // empty scope name and version
	fillSpan(ss3.Spans().AppendEmpty(), "in an unnamed scope", ptrace.SpanKindInternal)

	rs2 := td.ResourceSpans().AppendEmpty() // emptied by the filter
	fillResource(rs2.Resource(), "all-dropped")
	fillSpan(rs2.ScopeSpans().AppendEmpty().Spans().AppendEmpty(), "drop-resource", ptrace.SpanKindInternal)

	rs3 := td.ResourceSpans().AppendEmpty() // bare resource
	fillSpan(rs3.ScopeSpans().AppendEmpty().Spans().AppendEmpty(), "bare", ptrace.SpanKindInternal)

	td2 := ptrace.NewTraces() // emptied completely
	rsx := td2.ResourceSpans().AppendEmpty()
	fillResource(rsx.Resource(), "only-dropped")
	fillSpan(rsx.ScopeSpans().AppendEmpty().Spans().AppendEmpty(), "healthcheck", ptrace.SpanKindServer)

	td3 := ptrace.NewTraces()
	rsy := td3.ResourceSpans().AppendEmpty()
	rsy.Resource().Attributes().PutStr("fidelity.source", "hand")
	fillSpan(rsy.ScopeSpans().AppendEmpty().Spans().AppendEmpty(), "after empty request", ptrace.SpanKindClient)
	return []ptrace.Traces{td, td2, td3}
}

func handLogs() []plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.SetSchemaUrl("https://opentelemetry.io/schemas/1.26.0")
	fillResource(rl.Resource(), "fidelity-журналы")
	sl := rl.ScopeLogs().AppendEmpty()
	sl.SetSchemaUrl("https://opentelemetry.io/schemas/1.22.0")
	fillScope(sl.Scope(), "fidelity/журналы/日志", "0.9.0")
	recs := sl.LogRecords()

	add := func(body func(pcommon.Value)) plog.LogRecord {
		lr := recs.AppendEmpty()
		lr.SetTimestamp(fidT0)
		lr.SetObservedTimestamp(fidT0 + 1)
		lr.SetSeverityNumber(plog.SeverityNumberInfo)
		lr.SetSeverityText("INFO")
		body(lr.Body())
		return lr
	}
	add(func(v pcommon.Value) { v.SetStr("drop me first") })
	full := add(func(v pcommon.Value) { v.SetStr("привет мир 你好世界 👋") })
	full.SetSeverityNumber(plog.SeverityNumberError4)
	full.SetSeverityText("ОШИБКА")
	full.SetEventName("user.login 登录")
	full.SetTraceID(fidTraceID)
	full.SetSpanID(fidSpanID)
	full.SetFlags(plog.DefaultLogRecordFlags.WithIsSampled(true))
	fillAttrs(full.Attributes(), "log.")
	full.SetDroppedAttributesCount(6)
	add(func(v pcommon.Value) { v.SetStr("") })
	add(func(v pcommon.Value) { v.SetInt(math.MinInt64) })
	add(func(v pcommon.Value) { v.SetDouble(-0.5) })
	add(func(v pcommon.Value) { v.SetBool(false) })
	add(func(v pcommon.Value) { v.SetEmptyBytes().FromRaw([]byte("drop me, but I am bytes")) })
	add(func(v pcommon.Value) { v.SetStr("drop me in the middle") })
	add(func(v pcommon.Value) {
		s := v.SetEmptySlice()
		s.AppendEmpty().SetStr("drop me, but I am in an array")
		s.AppendEmpty().SetInt(1)
		s.AppendEmpty().SetEmptyMap().PutStr("ключ", "值")
	})
	add(func(v pcommon.Value) {
		m := v.SetEmptyMap()
		m.PutStr("message", "drop me, but I am in a kvlist")
		fillAttrs(m, "body.")
	})
	noBody := add(func(pcommon.Value) {}) // the empty body
	noBody.SetTimestamp(0)                // only an observed timestamp
	add(func(v pcommon.Value) { v.SetStr("Drop me: case matters") })
	add(func(v pcommon.Value) { v.SetStr("drop me last") })

	sl2 := rl.ScopeLogs().AppendEmpty() // emptied by the filter
	fillScope(sl2.Scope(), "dropped-scope", "1")
	sl2.LogRecords().AppendEmpty().Body().SetStr("drop me 1")
	sl2.LogRecords().AppendEmpty().Body().SetStr("drop me 2")

	rl2 := ld.ResourceLogs().AppendEmpty() // emptied by the filter
	fillResource(rl2.Resource(), "all-dropped")
	rl2.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Body().SetStr("drop me resource")

	rl3 := ld.ResourceLogs().AppendEmpty() // bare resource and scope
	rl3.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Body().SetStr("bare")

	ld2 := plog.NewLogs() // emptied completely
	rlx := ld2.ResourceLogs().AppendEmpty()
	fillResource(rlx.Resource(), "only-dropped")
	rlx.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Body().SetStr("drop me whole request")

	ld3 := plog.NewLogs()
	rly := ld3.ResourceLogs().AppendEmpty()
	rly.Resource().Attributes().PutStr("fidelity.source", "hand")
	rly.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Body().SetStr("after the empty request")
	return []plog.Logs{ld, ld2, ld3}
}

func handBuiltRequests() handRequests {
	m, tr, l := lengthBoundaryRequests()
	return handRequests{metrics: append(handMetrics(), m), traces: append(handTraces(), tr), logs: append(handLogs(), l)}
}

// lengthBoundaryRequests builds one request per signal whose resources each
// hold one scope with a kept item padded to a size from a sweep, beside a
// dropped item. The sweep crosses the sizes where a protobuf length prefix
// changes width (128: 1 → 2 bytes, 16384: 2 → 3 bytes), so the filter's edit
// must shrink the scope's and resource's length prefixes for some of them.
func lengthBoundaryRequests() (pmetric.Metrics, ptrace.Traces, plog.Logs) {
	var pads []int
	for p := 0; p <= 130; p += 2 {
		pads = append(pads, p)
	}
	for p := 16180; p <= 16400; p += 4 {
		pads = append(pads, p)
	}
	md, td, ld := pmetric.NewMetrics(), ptrace.NewTraces(), plog.NewLogs()
	for i, pad := range pads {
		padding := strings.Repeat("ж", pad/2) + strings.Repeat("x", pad%2) // two bytes per ж
		droppedFirst := i%2 == 0
		res := func(r pcommon.Resource) {
			r.Attributes().PutStr("fidelity.source", "hand")
			r.Attributes().PutStr("service.name", fmt.Sprintf("length-%d", pad))
		}

		rm := md.ResourceMetrics().AppendEmpty()
		res(rm.Resource())
		ms := rm.ScopeMetrics().AppendEmpty().Metrics()
		if droppedFirst {
			addGauge(ms, "drop.padding.before")
		}
		addGauge(ms, "padded")
		ms.At(ms.Len()-1).Gauge().DataPoints().At(0).Attributes().PutStr("pad", padding)
		if !droppedFirst {
			addGauge(ms, "drop.padding.after")
		}

		rs := td.ResourceSpans().AppendEmpty()
		res(rs.Resource())
		spans := rs.ScopeSpans().AppendEmpty().Spans()
		if droppedFirst {
			fillSpan(spans.AppendEmpty(), "drop-padding-before", ptrace.SpanKindInternal)
		}
		kept := spans.AppendEmpty()
		fillSpan(kept, "padded", ptrace.SpanKindInternal)
		kept.Attributes().PutStr("pad", padding)
		if !droppedFirst {
			fillSpan(spans.AppendEmpty(), "drop-padding-after", ptrace.SpanKindInternal)
		}

		rl := ld.ResourceLogs().AppendEmpty()
		res(rl.Resource())
		recs := rl.ScopeLogs().AppendEmpty().LogRecords()
		if droppedFirst {
			recs.AppendEmpty().Body().SetStr("drop me: padding before")
		}
		recs.AppendEmpty().Body().SetStr("padded " + padding)
		if !droppedFirst {
			recs.AppendEmpty().Body().SetStr("drop me: padding after")
		}
	}
	return md, td, ld
}

// ---------------------------------------------------------------------------
// The OpenTelemetry Go SDK as the client.

type sdkCounts struct{ all, kept itemCounts }

// sendWithSDK emits traces, metrics and logs with the OpenTelemetry Go SDK
// and its OTLP/gRPC exporters, one exporter per endpoint, so every endpoint
// receives the same telemetry. It returns how many items it sent and how
// many of them the filter keeps.
func sendWithSDK(t *testing.T, endpoints []string) sdkCounts {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var c sdkCounts
	res := resource.NewWithAttributes("https://opentelemetry.io/schemas/1.26.0",
		attribute.String("fidelity.source", "sdk"),
		attribute.String("service.name", "fidelity-sdk-сервис-服务"),
		attribute.String("service.version", "1.2.3-🚀"),
		attribute.StringSlice("host.ip", []string{"10.0.0.1", "::1"}),
		attribute.Int64Slice("res.ints", []int64{1, -2, math.MaxInt64}),
		attribute.Float64Slice("res.floats", []float64{0.5, -1e10}),
		attribute.BoolSlice("res.bools", []bool{true, false}),
	)
	attrs := []attribute.KeyValue{
		attribute.String("str", "Привет 你好 👋"),
		attribute.String("empty", ""),
		attribute.Int64("int", -42),
		attribute.Float64("float", 2.718281828),
		attribute.Bool("bool", true),
		attribute.StringSlice("strs", []string{"a", "", "я"}),
		attribute.ByteSlice("bytes", []byte{0, 1, 0xff}),
		attribute.Map("kvlist", attribute.String("ключ", "值"), attribute.Map("nested", attribute.Slice("list",
			attribute.IntValue(1), attribute.StringValue("два"), attribute.MapValue(attribute.Bool("deep", true))))),
	}

	// Traces: three batchers, each with its own exporter; small limits so
	// the SDK itself drops attributes, events and links and counts them.
	tpOpts := []sdktrace.TracerProviderOption{
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.AlwaysSample()),
		sdktrace.WithRawSpanLimits(sdktrace.SpanLimits{
			AttributeValueLengthLimit: -1, AttributeCountLimit: 8, EventCountLimit: 2, LinkCountLimit: 1,
			AttributePerEventCountLimit: 2, AttributePerLinkCountLimit: 1,
		}),
	}
	for _, ep := range endpoints {
		exp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(ep), otlptracegrpc.WithInsecure())
		if err != nil {
			t.Fatal(err)
		}
		tpOpts = append(tpOpts, sdktrace.WithBatcher(exp))
	}
	tp := sdktrace.NewTracerProvider(tpOpts...)
	tracer := tp.Tracer("fidelity/sdk-трассировщик", trace.WithInstrumentationVersion("0.1.0"),
		trace.WithSchemaURL("https://opentelemetry.io/schemas/1.24.0"),
		trace.WithInstrumentationAttributes(attribute.String("scope.attr", "значение")))
	remoteTS, err := trace.ParseTraceState("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")
	if err != nil {
		t.Fatal(err)
	}
	remote := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID(fidTraceID2), SpanID: trace.SpanID(fidSpanID3),
		TraceFlags: trace.FlagsSampled, TraceState: remoteTS, Remote: true,
	})
	// A remote parent with a tracestate, which the spans inherit and the
	// exporter sends (it sends no tracestate for links).
	parentTS, err := trace.ParseTraceState("rojo=00f067aa0ba902b7,tenant@vendor=x-1")
	if err != nil {
		t.Fatal(err)
	}
	remoteParent := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID(fidTraceID), SpanID: trace.SpanID(fidSpanID),
		TraceFlags: trace.FlagsSampled, TraceState: parentTS, Remote: true,
	})
	spanCtx, parent := tracer.Start(trace.ContextWithRemoteSpanContext(ctx, remoteParent), "GET /заказы/{id} 订单",
		trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attrs...),
		trace.WithLinks(trace.Link{SpanContext: remote, Attributes: []attribute.KeyValue{attribute.String("link.kind", "причина"), attribute.Int("link.n", 2)}},
			trace.Link{SpanContext: remote}))
	parent.SetAttributes(attribute.Int("over.limit.1", 1), attribute.Int("over.limit.2", 2), attribute.Int("over.limit.3", 3))
	// Three events, limit two: the SDK keeps the last two and counts one
	// dropped; the first kept one drops one of its three attributes.
	parent.AddEvent("")
	parent.AddEvent("событие 1", trace.WithAttributes(attribute.String("a", "б"), attribute.String("c", "d"), attribute.String("e", "f")))
	parent.RecordError(fmt.Errorf("ошибка: 失败 💥"))
	parent.SetStatus(codes.Error, "сбой")
	c.all.Spans++
	c.kept.Spans++
	for _, name := range []string{"child 子 🧒", "", "healthcheck", "drop-sdk-span", "healthcheck-not-exact"} {
		_, child := tracer.Start(spanCtx, name, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs[:3]...))
		child.End()
		c.all.Spans++
		if !matchesAny(fidelityDropSpans, name) {
			c.kept.Spans++
		}
	}
	parent.End()

	// Metrics: one manual reader, collected once and exported by three
	// exporters; an exponential-histogram view; every exemplar recorded.
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithResource(res), sdkmetric.WithReader(reader),
		sdkmetric.WithExemplarFilter(exemplar.AlwaysOnFilter),
		sdkmetric.WithView(sdkmetric.NewView(sdkmetric.Instrument{Name: "sdk.latency.exponential"},
			sdkmetric.Stream{Aggregation: sdkmetric.AggregationBase2ExponentialHistogram{MaxSize: 160, MaxScale: 20}})))
	meter := mp.Meter("fidelity/sdk-метр", otelmetric.WithInstrumentationVersion("2.0.0"),
		otelmetric.WithSchemaURL("https://opentelemetry.io/schemas/1.24.0"),
		otelmetric.WithInstrumentationAttributes(attribute.String("scope.attr", "值")))
	mAttrs := otelmetric.WithAttributes(attrs...)
	counter, _ := meter.Int64Counter("sdk.requests", otelmetric.WithUnit("{request}"), otelmetric.WithDescription("Запросы 请求"))
	counter.Add(spanCtx, 5, mAttrs)
	counter.Add(spanCtx, 7, otelmetric.WithAttributes(attribute.String("route", "/другой")))
	updown, _ := meter.Float64UpDownCounter("sdk.queue")
	updown.Add(ctx, -3.5, mAttrs)
	hist, _ := meter.Float64Histogram("sdk.latency", otelmetric.WithUnit("s"), otelmetric.WithExplicitBucketBoundaries(0.01, 0.1, 1))
	for _, v := range []float64{0.005, 0.05, 0.5, 5} {
		hist.Record(spanCtx, v, mAttrs)
	}
	ehist, _ := meter.Float64Histogram("sdk.latency.exponential")
	for _, v := range []float64{0, 0.001, 1, 3, 1000} {
		ehist.Record(spanCtx, v, mAttrs)
	}
	gauge, _ := meter.Int64Gauge("sdk.температура.温度")
	gauge.Record(ctx, -40, mAttrs)
	dropped, _ := meter.Int64Counter("drop.sdk.counter")
	dropped.Add(ctx, 1)
	up, _ := meter.Int64Gauge("up")
	up.Record(ctx, 1)
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			n := sdkPointCount(m.Data)
			c.all.Metrics++
			c.all.Points += n
			if !matchesAny(fidelityDropMetrics, m.Name) {
				c.kept.Metrics++
				c.kept.Points += n
			}
		}
	}
	for _, ep := range endpoints {
		exp, err := otlpmetricgrpc.New(ctx, otlpmetricgrpc.WithEndpoint(ep), otlpmetricgrpc.WithInsecure())
		if err != nil {
			t.Fatal(err)
		}
		if err := exp.Export(ctx, &rm); err != nil {
			t.Fatalf("SDK metrics export to %s: %v", ep, err)
		}
		if err := exp.Shutdown(ctx); err != nil {
			t.Fatalf("SDK metrics exporter shutdown: %v", err)
		}
	}

	// Logs: three batch processors, each with its own exporter; every body type.
	lpOpts := []sdklog.LoggerProviderOption{sdklog.WithResource(res), sdklog.WithAttributeCountLimit(4)}
	for _, ep := range endpoints {
		exp, err := otlploggrpc.New(ctx, otlploggrpc.WithEndpoint(ep), otlploggrpc.WithInsecure())
		if err != nil {
			t.Fatal(err)
		}
		lpOpts = append(lpOpts, sdklog.WithProcessor(sdklog.NewBatchProcessor(exp)))
	}
	lp := sdklog.NewLoggerProvider(lpOpts...)
	logger := lp.Logger("fidelity/sdk-журнал", otellog.WithInstrumentationVersion("1.0.0"),
		otellog.WithSchemaURL("https://opentelemetry.io/schemas/1.24.0"),
		otellog.WithInstrumentationAttributes(attribute.String("scope.attr", "значение")))
	bodies := []attribute.Value{
		attribute.StringValue("запрос обработан 请求已处理 ✅"),
		attribute.StringValue(""),
		attribute.StringValue("drop me from the SDK"),
		attribute.Int64Value(math.MaxInt64),
		attribute.Float64Value(-1.25),
		attribute.BoolValue(true),
		attribute.ByteSliceValue([]byte{0, 0xff, 'x'}),
		attribute.SliceValue(attribute.StringValue("drop me in a slice"), attribute.IntValue(1),
			attribute.MapValue(attribute.String("k", "в"))),
		attribute.MapValue(attribute.String("msg", "drop me in a map"), attribute.Slice("list", attribute.BoolValue(false)),
			attribute.Map("nested", attribute.ByteSlice("b", []byte("🙂")))),
		{}, // empty body
	}
	for i, body := range bodies {
		var r otellog.Record
		r.SetTimestamp(time.Unix(1_700_000_000, int64(i)))
		r.SetSeverity(otellog.SeverityWarn2)
		r.SetSeverityText("ПРЕДУПРЕЖДЕНИЕ")
		r.SetEventName("fidelity.event")
		r.SetBody(body)
		r.AddAttributes(attribute.String("str", "значение 值"), attribute.Int("i", i), attribute.ByteSlice("bytes", []byte{1, 2}),
			attribute.Map("map", attribute.Float64("f", 0.5)), attribute.Slice("slice", attribute.StringValue("x")),
			attribute.Bool("over.limit", true)) // six attributes, limit four: two dropped and counted
		logger.Emit(spanCtx, r)
		c.all.Logs++
		if body.Type() != attribute.STRING || !matchesAny(fidelityDropLogs, body.AsString()) {
			c.kept.Logs++
		}
	}

	if err := tp.Shutdown(ctx); err != nil {
		t.Fatalf("SDK traces: %v", err)
	}
	if err := lp.Shutdown(ctx); err != nil {
		t.Fatalf("SDK logs: %v", err)
	}
	if err := mp.Shutdown(ctx); err != nil {
		t.Fatalf("SDK metrics: %v", err)
	}
	return c
}

func sdkPointCount(data metricdata.Aggregation) int {
	switch d := data.(type) {
	case metricdata.Sum[int64]:
		return len(d.DataPoints)
	case metricdata.Sum[float64]:
		return len(d.DataPoints)
	case metricdata.Gauge[int64]:
		return len(d.DataPoints)
	case metricdata.Gauge[float64]:
		return len(d.DataPoints)
	case metricdata.Histogram[int64]:
		return len(d.DataPoints)
	case metricdata.Histogram[float64]:
		return len(d.DataPoints)
	case metricdata.ExponentialHistogram[int64]:
		return len(d.DataPoints)
	case metricdata.ExponentialHistogram[float64]:
		return len(d.DataPoints)
	case metricdata.Summary:
		return len(d.DataPoints)
	}
	panic(fmt.Sprintf("unknown aggregation %T", data))
}
