package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestRustComponentsCountOnTheCollectorsPrometheusEndpoint: N one-point
// requests reach a Rust advanced_filter/tel that drops k of them and a Rust
// otlp_rust/tel whose backend refuses m (InvalidArgument: permanent, no
// retry). The collector's own Prometheus endpoint, read with Prometheus's
// parser, shows the Rust components on the Go collector's series (and an
// OTLP periodic reader exports them too):
//   - processor incoming N, outgoing N−k;
//   - exporter sent N−k−m, send_failed m with error_type/error_permanent,
//     and its sending queue's capacity; r more requests fail twice with
//     Unavailable and are retried, so they count once in sent and never in
//     send_failed (sent + send_failed = N−k), as Go counts after retries;
//   - behind a bridge (the Go receiver), the exporter answers after delivery,
//     so Go's own receiver counters say accepted N−m, refused m, and the
//     bridge's latency histogram has N requests;
//   - with the receiver placed in Rust, the exporter answers once queued, as
//     a Go exporter with a sending queue does: the Rust receiver's accepted
//     is N under the Go receiver's labels, the failures are the exporter's;
//   - no series, on either reader, carries a component the partitioner made
//     (the bridge ends of either half, bridge_cancel): each item is counted
//     once, by the user's components, and the bridge histogram is the
//     crossing's only series.
func TestRustComponentsCountOnTheCollectorsPrometheusEndpoint(t *testing.T) {
	t.Parallel()
	const n, k, m, r = 20, 5, 3, 2
	for _, tc := range []struct {
		name, config string
		bridged      bool // else the exporter answers once queued
	}{
		{"go receiver, bridge", "telemetry_go_to_rust.yaml", true},
		{"receiver placed in Rust", "telemetry_all_rust.yaml", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			be := startBackend(t)
			be.SetMetricFailure(func(name string, attempt int) error {
				switch {
				case name == "tel_fail":
					return status.Error(codes.InvalidArgument, "tel-refused")
				case strings.HasPrefix(name, "tel_retry_") && attempt <= 2:
					return status.Error(codes.Unavailable, "tel-busy")
				}
				return nil
			})
			sink := startOwnMetricsSink(t)
			s := startScenario(t, tc.config, scenarioOpts{be: be, vars: map[string]string{"SINK": sink.Addr}})
			prom := s.prom
			c := otlpClient(t, s.grpc)
			for i := range n {
				name := "tel_keep"
				switch {
				case i < k:
					name = "tel_drop"
				case i < k+m:
					name = "tel_fail"
				case i < k+m+r:
					name = fmt.Sprintf("tel_retry_%d", i)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				st, _ := export(ctx, c, name)
				cancel()
				if want := map[bool]codes.Code{true: codes.InvalidArgument, false: codes.OK}[name == "tel_fail" && tc.bridged]; st.Code() != want {
					t.Fatalf("request %d (%s): %v, want %v", i, name, st, want)
				}
			}
			proc := []string{"processor=advanced_filter/tel", "otel_signal=metrics"}
			exp := "exporter=otlp_rust/tel"
			refused := 0
			if tc.bridged {
				refused = m
			}
			recv := []string{"receiver=otlp", "transport=grpc"}
			want := []expectSeries{
				{"otelcol_processor_incoming_items", proc, n},
				{"otelcol_processor_outgoing_items", proc, n - k},
				{"otelcol_exporter_sent_metric_points", []string{exp}, n - k - m},
				{"otelcol_exporter_send_failed_metric_points", []string{exp, "error_type=InvalidArgument", "error_permanent=true"}, m},
				{"otelcol_exporter_queue_capacity", []string{exp, "data_type=metrics"}, 1000},
				{"otelcol_exporter_queue_size", []string{exp, "data_type=metrics"}, 0},
				{"otelcol_receiver_accepted_metric_points", recv, float64(n - refused)},
				{"otelcol_receiver_refused_metric_points", recv, float64(refused)},
				{"otelcol_receiver_failed_metric_points", recv, 0},
			}
			if tc.bridged {
				want = append(want, expectSeries{"otelcol_hybrid_bridge_duration", []string{"direction=go_to_rust", "otel_signal=metrics"}, n})
			}
			fams := waitForSeries(t, prom, want)
			if v, ok := promValue(t, fams, "otelcol_exporter_send_failed_metric_points", exp, "error_type=Unavailable"); ok && v != 0 {
				t.Errorf("retried requests counted as failed: %v", v)
			}
			for i := k + m; i < k+m+r; i++ {
				if got := len(be.MetricReqs(fmt.Sprintf("tel_retry_%d", i))); got != 3 {
					t.Errorf("tel_retry_%d reached the backend %d times, want 3 (two refusals, one delivery)", i, got)
				}
			}
			// The OTLP push reader carries them as well.
			sink.waitFor(t, "otelcol_processor_incoming_items", "processor=advanced_filter/tel")
			sink.waitFor(t, "otelcol_exporter_sent_metric_points", exp)
			// The partitioner's components, in either half, stay off every
			// series, on both readers.
			noBridgeSeries(t, fams)
			sink.noBridgeSeries(t)
		})
	}
}

// bridgeIDs are the beginnings of the ids the partitioner gives the
// components it adds: bridge ends in either half and mode, and the Go
// bridge processor. (The bridge histogram's own label, bridge="bridge_N",
// names a crossing, not a component.)
var bridgeIDs = []string{"otlp_grpc/bridge_", "otlp/bridge_", "otlp_rust/bridge_", "ffi_bridge/", "bridge_cancel"}

func isBridgeID(v string) bool {
	for _, p := range bridgeIDs {
		if strings.HasPrefix(v, p) {
			return true
		}
	}
	return false
}

// noBridgeSeries fails the test when any series of the scrape carries a
// partitioner-made component: a user's dashboards show their own pipeline,
// and a sum over exporters counts each item once.
func noBridgeSeries(t *testing.T, fams map[string]*dto.MetricFamily) {
	t.Helper()
	for name, fam := range fams {
		for _, mt := range fam.GetMetric() {
			for _, l := range mt.GetLabel() {
				if isBridgeID(l.GetValue()) {
					t.Errorf("%s{%s=%q}: a partitioner-made component on a series", name, l.GetName(), l.GetValue())
				}
			}
		}
	}
}

// TestRustToGoBridgeOnTheCollectorsPrometheusEndpoint: a Rust receiver and
// filter in front of a Go exporter. The Rust receiver counts under its own
// id, the Go exporter is Go's own series, and the Rust → Go bridge's
// histogram has one observation per request that crossed it (the dropped
// ones did not).
func TestRustToGoBridgeOnTheCollectorsPrometheusEndpoint(t *testing.T) {
	t.Parallel()
	const n, k = 12, 4
	s := startScenario(t, "telemetry_rust_to_go.yaml", scenarioOpts{})
	prom := s.prom
	c := otlpClient(t, s.grpc)
	for i := range n {
		name := "tel_keep"
		if i < k {
			name = "tel_drop"
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		st, _ := export(ctx, c, name)
		cancel()
		if st.Code() != codes.OK {
			t.Fatalf("request %d: %v", i, st)
		}
	}
	fams := waitForSeries(t, prom, []expectSeries{
		{"otelcol_receiver_accepted_metric_points", []string{"receiver=rust_otlp", "transport=grpc"}, n},
		{"otelcol_processor_outgoing_items", []string{"processor=advanced_filter/tel"}, n - k},
		{"otelcol_exporter_sent_metric_points", []string{"exporter=otlp_grpc/tel"}, n - k},
		{"otelcol_hybrid_bridge_duration", []string{"direction=rust_to_go", "otel_signal=metrics"}, n - k},
	})
	// The Go end of the crossing (otlp/bridge_N, or ffi_bridge/bridge_N) is
	// not a receiver of the user's.
	noBridgeSeries(t, fams)
}
