package partition

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// queueConfig is a Go otlp receiver (kept in Go) → Rust advanced_filter →
// the given Rust exporters, all in one metrics pipeline.
func queueConfig(exporters string, names ...string) string {
	return `
receivers: {otlp: {protocols: {grpc: }}}
processors: {advanced_filter: {drop_metrics: [up]}}
exporters:
` + exporters + `
service: {pipelines: {metrics: {receivers: [otlp], processors: [advanced_filter], exporters: [` + strings.Join(names, ", ") + `]}}}
`
}

func partitionYAML(t *testing.T, in string, opts Options) (*Result, error) {
	t.Helper()
	var user map[string]any
	if err := yaml.Unmarshal([]byte(in), &user); err != nil {
		t.Fatal(err)
	}
	return Partition(user, testCatalog(t), opts)
}

func section(t *testing.T, half map[string]any, path ...string) map[string]any {
	t.Helper()
	cur := half
	for _, p := range path {
		next, ok := cur[p].(map[string]any)
		if !ok {
			return nil
		}
		cur = next
	}
	return cur
}

// bridgeRetry is the Go bridge queue's retry_on_failure with the user's defaults.
var bridgeRetry = map[string]any{"enabled": true, "initial_interval": "10ms", "max_interval": "1s"}

func TestQueueMovesToTheGoBridge(t *testing.T) {
	placementOff := testOptions()
	placementOff.KeepReceiversInGo = true
	cases := []struct {
		name, exporter string
		goQueue        map[string]any // the bridge exporter's sending_queue
		goRetry        map[string]any
		rustQueue      map[string]any // the Rust exporter's sending_queue
		rustRetry      map[string]any
	}{
		{"default queue: acknowledged by the parent", `  otlp_rust: {endpoint: b:4317}`,
			map[string]any{"enabled": true}, bridgeRetry,
			map[string]any{"wait_for_result": true}, nil},
		{"user settings and retry travel to the bridge", `  otlp_rust:
    endpoint: b:4317
    sending_queue: {queue_size: 50, num_consumers: 2, sizer: items, block_on_overflow: true, storage: file_storage}
    retry_on_failure: {initial_interval: 1s, max_interval: 2s, max_elapsed_time: 1m}`,
			map[string]any{"enabled": true, "queue_size": 50, "num_consumers": 2, "sizer": "items", "block_on_overflow": true, "storage": "file_storage"},
			map[string]any{"enabled": true, "initial_interval": "10ms", "max_interval": "1s", "max_elapsed_time": "1m"},
			map[string]any{"wait_for_result": true, "queue_size": 50, "num_consumers": 2, "sizer": "items", "block_on_overflow": true},
			map[string]any{"initial_interval": "1s", "max_interval": "2s", "max_elapsed_time": "1m"}},
		{"retries off: the bridge's queue does not retry either", `  otlp_rust: {endpoint: b:4317, retry_on_failure: {enabled: false}}`,
			map[string]any{"enabled": true}, map[string]any{"enabled": false, "initial_interval": "10ms", "max_interval": "1s"},
			map[string]any{"wait_for_result": true}, map[string]any{"enabled": false}},
		{"wait_for_result: the bridge stays synchronous", `  otlp_rust: {endpoint: b:4317, sending_queue: {wait_for_result: true}}`,
			map[string]any{"enabled": false}, map[string]any{"enabled": true},
			map[string]any{"wait_for_result": true}, nil},
		{"queue off: the bridge stays synchronous", `  otlp_rust: {endpoint: b:4317, sending_queue: {enabled: false}}`,
			map[string]any{"enabled": false}, map[string]any{"enabled": true},
			map[string]any{"enabled": false}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := partitionYAML(t, queueConfig(c.exporter, "otlp_rust"), placementOff)
			if err != nil {
				t.Fatal(err)
			}
			bridge := section(t, res.Go, "exporters", "otlp_grpc/bridge_1")
			if got := bridge["sending_queue"]; !equalConfigs(got, c.goQueue) {
				t.Errorf("bridge sending_queue = %v, want %v", got, c.goQueue)
			}
			if got := bridge["retry_on_failure"]; !equalConfigs(got, c.goRetry) {
				t.Errorf("bridge retry_on_failure = %v, want %v", got, c.goRetry)
			}
			if got, _ := bridge["wait_for_ready"].(bool); got != (c.goQueue["enabled"] == true) {
				t.Errorf("bridge wait_for_ready = %v, want it exactly when the bridge queues", got)
			}
			rust := section(t, res.Rust, "exporters", "otlp_rust")
			if got := rust["sending_queue"]; !equalConfigs(got, c.rustQueue) {
				t.Errorf("Rust sending_queue = %v, want %v", got, c.rustQueue)
			}
			if got := rust["retry_on_failure"]; (c.rustRetry == nil && got != nil) || (c.rustRetry != nil && !equalConfigs(got, c.rustRetry)) {
				t.Errorf("Rust retry_on_failure = %v, want %v", got, c.rustRetry)
			}
		})
	}
}

// A Rust receiver of its own feeding the same Rust part: the bridge still
// queues, and the Rust exporter keeps the user's retries for both.
func TestQueueWithARustReceiverInThePart(t *testing.T) {
	opts := testOptions()
	opts.KeepReceiversInGo = true
	res, err := partitionYAML(t, `
receivers: {otlp: {protocols: {grpc: }}, rust_otlp: {protocols: {grpc: {endpoint: "localhost:5317"}}}}
processors: {advanced_filter: {drop_metrics: [up]}}
exporters: {otlp_rust: {endpoint: b:4317}}
service: {pipelines: {metrics: {receivers: [otlp, rust_otlp], processors: [advanced_filter], exporters: [otlp_rust]}}}
`, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := section(t, res.Go, "exporters", "otlp_grpc/bridge_1")["sending_queue"]; !equalConfigs(got, map[string]any{"enabled": true}) {
		t.Errorf("bridge sending_queue = %v, want the Go-side queue", got)
	}
	rust := section(t, res.Rust, "exporters", "otlp_rust")
	if _, set := rust["retry_on_failure"]; set {
		t.Errorf("Rust retry_on_failure = %v, want the user's (unset)", rust["retry_on_failure"])
	}
}

func TestQueueFanOutBehindOneBridge(t *testing.T) {
	opts := testOptions()
	opts.KeepReceiversInGo = true
	same := `  otlp_rust/a: {endpoint: a:4317, sending_queue: {queue_size: 10}}
  otlp_rust/b: {endpoint: b:4317, sending_queue: {queue_size: 10.0}}`
	res, err := partitionYAML(t, queueConfig(same, "otlp_rust/a", "otlp_rust/b"), opts)
	if err != nil {
		t.Fatalf("same settings: %v", err)
	}
	if got := section(t, res.Go, "exporters", "otlp_grpc/bridge_1", "sending_queue")["queue_size"]; got != 10 {
		t.Errorf("bridge queue_size = %v, want 10", got)
	}
	for _, c := range []struct{ exporters, want string }{
		{`  otlp_rust/a: {endpoint: a:4317, sending_queue: {queue_size: 10}}
  otlp_rust/b: {endpoint: b:4317}`, "sending_queue.queue_size (10 vs 1000)"},
		{`  otlp_rust/a: {endpoint: a:4317}
  otlp_rust/b: {endpoint: b:4317, sending_queue: {enabled: false}}`, "sending_queue.enabled (true vs false)"},
		{`  otlp_rust/a: {endpoint: a:4317}
  otlp_rust/b: {endpoint: b:4317, retry_on_failure: {max_elapsed_time: 1m}}`, "retry_on_failure.max_elapsed_time (5m0s vs 1m)"},
		{`  otlp_rust/a: {endpoint: a:4317, retry_on_failure: {initial_interval: 1s}}
  otlp_rust/b: {endpoint: b:4317, retry_on_failure: {initial_interval: 2s}}`, ""},
	} {
		_, err := partitionYAML(t, queueConfig(c.exporters, "otlp_rust/a", "otlp_rust/b"), opts)
		if c.want == "" {
			if err != nil {
				t.Errorf("their own retry intervals stay the Rust exporters': %v", err)
			}
			continue
		}
		if err == nil {
			t.Fatalf("%s: accepted", c.want)
		}
		for _, w := range []string{"service::pipelines::metrics", "otlp_rust/a and otlp_rust/b", c.want} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q lacks %q", err, w)
			}
		}
	}
}

func TestQueueStorageNeedsAGoQueue(t *testing.T) {
	// The placeable otlp receiver stays in Go, and says why.
	res, err := partitionYAML(t, queueConfig(`  otlp_rust: {endpoint: b:4317, sending_queue: {storage: file_storage}}`, "otlp_rust"), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Placements) != 1 || res.Placements[0].Runtime != Go ||
		!strings.Contains(res.Placements[0].String(), "sending_queue.storage") {
		t.Errorf("placements = %v, want otlp kept in Go for the persistent queue", res.Placements)
	}
	if got := section(t, res.Go, "exporters", "otlp_grpc/bridge_1", "sending_queue")["storage"]; got != "file_storage" {
		t.Errorf("bridge storage = %v", got)
	}
	if _, set := section(t, res.Rust, "exporters", "otlp_rust", "sending_queue")["storage"]; set {
		t.Error("the Rust exporter kept storage, which it refuses")
	}

	// A Rust receiver has no Go queue in front of it.
	_, err = partitionYAML(t, `
receivers: {rust_otlp: }
exporters: {otlp_rust: {endpoint: b:4317, sending_queue: {storage: file_storage}}}
service: {pipelines: {traces: {receivers: [rust_otlp], exporters: [otlp_rust]}}}
`, testOptions())
	if err == nil || !strings.Contains(err.Error(), "exporter otlp_rust: sending_queue.storage") || !strings.Contains(err.Error(), "Rust receiver(s) rust_otlp") {
		t.Errorf("Rust receiver → storage: err = %v", err)
	}

	// Nor does the in-process bridge.
	inProc := testOptions()
	inProc.InProcess = true
	_, err = partitionYAML(t, queueConfig(`  otlp_rust: {endpoint: b:4317, sending_queue: {storage: file_storage}}`, "otlp_rust"), inProc)
	if err == nil || !strings.Contains(err.Error(), "subprocess mode") {
		t.Errorf("in-process storage: err = %v", err)
	}
}

// In process there is no child to restart: the Rust exporter keeps its own
// queue (answering on enqueue, as the same config does in a Go exporter) and
// the in-process bridge stays a plain call, so the same config means the same
// durability in both modes.
func TestQueueStaysInRustInProcess(t *testing.T) {
	inProc := testOptions()
	inProc.InProcess = true
	inProc.KeepReceiversInGo = true
	for _, exporter := range []string{
		`  otlp_rust: {endpoint: b:4317}`,
		`  otlp_rust: {endpoint: b:4317, sending_queue: {queue_size: 50}}`,
	} {
		res, err := partitionYAML(t, queueConfig(exporter, "otlp_rust"), inProc)
		if err != nil {
			t.Fatal(err)
		}
		bridge := section(t, res.Go, "exporters", "ffi_bridge/bridge_1")
		if bridge == nil {
			t.Fatalf("no in-process bridge exporter in %v", res.Go["exporters"])
		}
		if q, set := bridge["sending_queue"]; set {
			t.Errorf("%s: the in-process bridge got a queue: %v", exporter, q)
		}
		if wfr, set := section(t, res.Rust, "exporters", "otlp_rust", "sending_queue")["wait_for_result"]; set {
			t.Errorf("%s: the Rust exporter was made to answer after delivery (wait_for_result %v)", exporter, wfr)
		}
	}
}

func TestRustMemoryLimitReachesTheRustHalf(t *testing.T) {
	opts := testOptions()
	opts.RustMemoryLimitMiB = 64
	res, err := partitionYAML(t, queueConfig(`  otlp_rust: {endpoint: b:4317}`, "otlp_rust"), opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Rust["service"].(map[string]any)["memory_limit_mib"]; got != 64 {
		t.Errorf("service.memory_limit_mib = %v, want 64", got)
	}
	res, err = partitionYAML(t, queueConfig(`  otlp_rust: {endpoint: b:4317}`, "otlp_rust"), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if _, set := res.Rust["service"].(map[string]any)["memory_limit_mib"]; set {
		t.Error("memory_limit_mib written without being asked for: the Rust default applies")
	}
}

// TestRustWorkerThreads: a Rust half that Go feeds through bridges gets half
// the CPUs; one with a receiver of its own (here the placed otlp receiver)
// keeps one thread per CPU (unset); the operator's number wins either way.
func TestRustWorkerThreads(t *testing.T) {
	cfg := queueConfig(`  otlp_rust: {endpoint: b:4317}`, "otlp_rust")
	cases := []struct {
		name           string
		cpus, explicit int
		keepInGo       bool
		want           any // nil: unset
	}{
		{"bridged, 2 CPUs", 2, 0, true, 1},
		{"bridged, 1 CPU", 1, 0, true, 1},
		{"bridged, 16 CPUs", 16, 0, true, 8},
		{"bridged, CPUs unknown", 0, 0, true, nil},
		{"own receiver", 16, 0, false, nil},
		{"operator's number, bridged", 16, 3, true, 3},
		{"operator's number, own receiver", 16, 5, false, 5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := testOptions()
			opts.CPUs, opts.RustWorkerThreads, opts.KeepReceiversInGo = c.cpus, c.explicit, c.keepInGo
			res, err := partitionYAML(t, cfg, opts)
			if err != nil {
				t.Fatal(err)
			}
			got, set := res.Rust["service"].(map[string]any)["worker_threads"]
			if c.want == nil {
				if set {
					t.Errorf("service.worker_threads = %v, want unset (one per CPU)", got)
				}
				return
			}
			if got != c.want {
				t.Errorf("service.worker_threads = %v, want %v", got, c.want)
			}
		})
	}
}
