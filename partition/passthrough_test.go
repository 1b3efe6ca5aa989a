package partition

import (
	"reflect"
	"slices"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestPassThroughOnlyWhereNothingInGoCanChangeTheData: the user's otlp
// receiver gets the pass-through middleware (after the user's own) exactly
// when a Go part starts at it and reaches a bridge with no Go processor and
// no connector on the way, in both modes; never a receiver whose data a Go
// processor or a connector's pipeline may have changed.
func TestPassThroughOnlyWhereNothingInGoCanChangeTheData(t *testing.T) {
	for _, tc := range []struct {
		name      string
		config    string
		inProcess bool
		want      map[string][]any // receiver id → its grpc middlewares
	}{
		{"straight to Rust", `
receivers: {otlp: {protocols: {grpc: }}}
processors: {advanced_filter/x: }
exporters: {otlp_rust: {endpoint: "127.0.0.1:4317"}}
service: {pipelines: {metrics: {receivers: [otlp], processors: [advanced_filter/x], exporters: [otlp_rust]}}}`,
			false, map[string][]any{"otlp": {mw("bridge_context")}}},
		{"embedded, after the user's own middleware", `
receivers: {otlp: {protocols: {grpc: {middlewares: [{id: mine}]}, http: }}}
processors: {advanced_filter/x: }
exporters: {otlp_rust: {endpoint: "127.0.0.1:4317"}}
service: {pipelines: {metrics: {receivers: [otlp], processors: [advanced_filter/x], exporters: [otlp_rust]}}}`,
			true, map[string][]any{"otlp": {mw("mine"), mw("bridge_context")}}},
		{"a Go processor first", `
receivers: {otlp: {protocols: {grpc: }}}
processors: {batch: , advanced_filter/x: }
exporters: {otlp_rust: {endpoint: "127.0.0.1:4317"}}
service: {pipelines: {metrics: {receivers: [otlp], processors: [batch, advanced_filter/x], exporters: [otlp_rust]}}}`,
			false, map[string][]any{"otlp": nil}},
		{"through a connector", `
receivers: {otlp: {protocols: {grpc: }}}
processors: {advanced_filter/x: }
connectors: {forward: }
exporters: {otlp_rust: {endpoint: "127.0.0.1:4317"}}
service: {pipelines: {
  metrics/in: {receivers: [otlp], exporters: [forward]},
  metrics/out: {receivers: [forward, otlp], processors: [advanced_filter/x], exporters: [otlp_rust]}}}`,
			false, map[string][]any{"otlp": nil}},
		{"gRPC not configured", `
receivers: {otlp: {protocols: {http: }}}
processors: {advanced_filter/x: }
exporters: {otlp_rust: {endpoint: "127.0.0.1:4317"}}
service: {pipelines: {metrics: {receivers: [otlp], processors: [advanced_filter/x], exporters: [otlp_rust]}}}`,
			false, map[string][]any{"otlp": nil}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			user, res := partitionPassThrough(t, tc.config, tc.inProcess, "")
			for id, want := range tc.want {
				recv, _ := res.Go["receivers"].(map[string]any)[id].(map[string]any)
				protos, _ := recv["protocols"].(map[string]any)
				grpc, _ := protos["grpc"].(map[string]any)
				got, _ := grpc["middlewares"].([]any)
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s: grpc middlewares = %v, want %v", id, got, want)
				}
			}
			// The user's config is not touched.
			if uc := user["receivers"].(map[string]any)["otlp"].(map[string]any)["protocols"].(map[string]any)["grpc"]; uc != nil {
				if l, _ := uc.(map[string]any)["middlewares"].([]any); len(l) > 1 {
					t.Errorf("the user's config was changed: %v", l)
				}
			}
		})
	}
}

func mw(id string) any { return map[string]any{"id": id} }

// partitionPassThrough partitions config with the distribution's bridge
// middleware (and bridge processor, if not ""), receiver placement off.
func partitionPassThrough(t *testing.T, config string, inProcess bool, bridgeProcessor string) (map[string]any, *Result) {
	t.Helper()
	var user map[string]any
	if err := yaml.Unmarshal([]byte(config), &user); err != nil {
		t.Fatal(err)
	}
	opts := testOptions()
	opts.InProcess = inProcess
	opts.KeepReceiversInGo = true
	opts.GoBridgeMiddleware = "bridge_context"
	opts.GoBridgeProcessor = bridgeProcessor
	res, err := Partition(user, testCatalog(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	return user, res
}

// TestAQueuedBridgeKeepsTheReceivedBytes: where the Go bridge exporter gets
// the Rust exporter's queue (subprocess mode, acknowledge on enqueue), the
// bridge processor of a pass-through part is the instance that keeps the
// received bytes for the queue's later send; everywhere else it is the plain
// one.
func TestAQueuedBridgeKeepsTheReceivedBytes(t *testing.T) {
	const keep = "bridge_cancel/keep_received"
	// A Go otlp receiver, user processors procs (ending in the Rust
	// advanced_filter), the Rust otlp_rust exporter with settings exporter.
	config := func(procs, exporter string) string {
		return `
receivers: {otlp: {protocols: {grpc: }}}
processors: {batch: , advanced_filter/x: }
exporters: {otlp_rust: {endpoint: "127.0.0.1:4317"` + exporter + `}}
service: {pipelines: {metrics: {receivers: [otlp], processors: [` + procs + `], exporters: [otlp_rust]}}}`
	}
	for _, tc := range []struct {
		name      string
		config    string
		inProcess bool
		want      []any // the Go pipeline's processors
	}{
		{"default queue, subprocess", config("advanced_filter/x", ""), false, []any{keep}},
		{"queue off", config("advanced_filter/x", ", sending_queue: {enabled: false}"), false, []any{"bridge_cancel"}},
		{"wait_for_result: the queue stays in Rust", config("advanced_filter/x", ", sending_queue: {wait_for_result: true}"), false, []any{"bridge_cancel"}},
		{"embedded: the queue stays in Rust", config("advanced_filter/x", ""), true, []any{"bridge_cancel"}},
		{"a Go processor first: no pass-through", config("batch, advanced_filter/x", ""), false, []any{"batch", "bridge_cancel"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, res := partitionPassThrough(t, tc.config, tc.inProcess, "bridge_cancel")
			pipes := res.Go["service"].(map[string]any)["pipelines"].(map[string]any)
			if len(pipes) != 1 {
				t.Fatalf("want one Go pipeline, got %v", pipes)
			}
			for name, p := range pipes {
				if got := p.(map[string]any)["processors"]; !reflect.DeepEqual(got, tc.want) {
					t.Errorf("Go pipeline %s: processors %v, want %v", name, got, tc.want)
				}
			}
			procs := res.Go["processors"].(map[string]any)
			kept := reflect.DeepEqual(tc.want[len(tc.want)-1], keep)
			if cfg, ok := procs[keep]; ok != kept || (kept && !reflect.DeepEqual(cfg, map[string]any{"keep_received_bytes": true})) {
				t.Errorf("processors section: %s = %v (present %v), want present %v with keep_received_bytes", keep, cfg, ok, kept)
			}
			made := slices.Contains(res.GoMade[Processor], keep)
			if made != kept {
				t.Errorf("GoMade lists %s: %v, want %v (%v)", keep, made, kept, res.GoMade[Processor])
			}
		})
	}
}
