package partition

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestBadConfigs: each refusal names where (pipeline) and what (component).
func TestBadConfigs(t *testing.T) {
	const okComponents = `
receivers: {otlp: {protocols: {grpc: }}, rust_otlp: }
processors: {batch: , fault: }
exporters: {debug: , file: }
connectors: {forward: }
`
	cases := []struct {
		name, yaml string
		want       []string // all must appear in the error
	}{
		{"undefined receiver", okComponents + `
service: {pipelines: {traces/a: {receivers: [otlp/missing], exporters: [debug]}}}`,
			[]string{"service::pipelines::traces/a", "receivers", `"otlp/missing" is not defined in receivers or connectors`}},
		{"undefined processor", okComponents + `
service: {pipelines: {logs: {receivers: [otlp], processors: [nope], exporters: [debug]}}}`,
			[]string{"service::pipelines::logs", "processors", `"nope" is not defined in processors`}},
		{"unknown type in both runtimes", `
receivers: {otlp: }
processors: {transform: }
exporters: {debug: }
service: {pipelines: {traces: {receivers: [otlp], processors: [transform], exporters: [debug]}}}`,
			[]string{"service::pipelines::traces", `processor "transform"`, "known to neither the Go nor the Rust runtime"}},
		{"renamed rust type used by native name hints", `
receivers: {otlp: }
exporters: {rust_file: }
service: {pipelines: {traces: {receivers: [otlp], exporters: [rust_file]}}}`,
			[]string{"service::pipelines::traces", `exporter "rust_file"`, `exposed as "file"`}},
		{"unsupported signal", `
receivers: {otlp: }
exporters: {rust_debug: }
service: {pipelines: {profiles: {receivers: [otlp], exporters: [rust_debug]}}}`,
			[]string{"service::pipelines::profiles", `exporter "rust_debug"`, "does not support profiles"}},
		{"unknown signal", okComponents + `
service: {pipelines: {spans: {receivers: [otlp], exporters: [debug]}}}`,
			[]string{"service::pipelines", "spans", "unknown signal"}},
		{"no receivers", okComponents + `
service: {pipelines: {metrics/x: {exporters: [debug]}}}`,
			[]string{"service::pipelines::metrics/x", "at least one receiver"}},
		{"no exporters", okComponents + `
service: {pipelines: {metrics/x: {receivers: [otlp], exporters: []}}}`,
			[]string{"service::pipelines::metrics/x", "at least one exporter"}},
		{"duplicate processor", okComponents + `
service: {pipelines: {logs: {receivers: [otlp], processors: [batch, batch], exporters: [debug]}}}`,
			[]string{"service::pipelines::logs", `"batch" is listed twice`}},
		{"connector without receiving pipeline", okComponents + `
service: {pipelines: {logs: {receivers: [otlp], exporters: [forward]}}}`,
			[]string{"service::pipelines::logs", `connector "forward"`, "used as exporter"}},
		{"connector across signals it does not support", okComponents + `
service: {pipelines: {logs: {receivers: [otlp], exporters: [forward]}, traces: {receivers: [forward], exporters: [debug]}}}`,
			[]string{"service::pipelines::logs", `connector "forward"`, "used as exporter"}},
		{"connector cycle", `
receivers: {otlp: }
exporters: {debug: }
connectors: {forward/a: , forward/b: }
service: {pipelines: {
  logs/1: {receivers: [otlp, forward/b], exporters: [forward/a]},
  logs/2: {receivers: [forward/a], exporters: [forward/b, debug]}}}`,
			[]string{"service::pipelines::logs/1", "cycle", "logs/2"}},
		{"id in receivers and connectors", `
receivers: {otlp: , forward: }
exporters: {debug: }
connectors: {forward: }
service: {pipelines: {logs: {receivers: [forward], exporters: [debug]}}}`,
			[]string{"service::pipelines::logs", `"forward" is defined in both receivers and connectors`}},
		{"unused unknown component", `
receivers: {otlp: , kafka/x: }
exporters: {debug: }
service: {pipelines: {logs: {receivers: [otlp], exporters: [debug]}}}`,
			[]string{"receivers::kafka/x", `type "kafka"`}},
		{"bad id", `
receivers: {"otlp/": }
exporters: {debug: }
service: {pipelines: {logs: {receivers: [otlp], exporters: [debug]}}}`,
			[]string{"receivers", `"otlp/"`}},
		{"unknown pipeline key", okComponents + `
service: {pipelines: {logs: {receivers: [otlp], exporters: [debug], processor: [batch]}}}`,
			[]string{"service::pipelines::logs", `unknown key "processor"`}},
		{"list of non-strings", okComponents + `
service: {pipelines: {logs: {receivers: [{otlp: 1}], exporters: [debug]}}}`,
			[]string{"service::pipelines::logs::receivers[0]", "component id string"}},
	}
	cat := testCatalog(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var user map[string]any
			if err := yaml.Unmarshal([]byte(c.yaml), &user); err != nil {
				t.Fatalf("test yaml: %v", err)
			}
			_, err := Partition(user, cat, testOptions())
			if err == nil {
				t.Fatal("Partition accepted a bad config")
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("error spans several lines: %q", msg)
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
		})
	}
}

func TestRustConnectorRefused(t *testing.T) {
	rust := append(testRustInfos(), ComponentInfo{Kind: Connector, Type: "count", Signals: all3})
	cat, err := NewCatalog(testGoInfos(), rust)
	if err != nil {
		t.Fatal(err)
	}
	var user map[string]any
	_ = yaml.Unmarshal([]byte(`
receivers: {otlp: }
exporters: {debug: }
connectors: {count: }
service: {pipelines: {logs/a: {receivers: [otlp], exporters: [count]}, logs/b: {receivers: [count], exporters: [debug]}}}`), &user)
	_, err = Partition(user, cat, testOptions())
	want := `service::pipelines::logs/a: connector "count": type "count" is a Rust connector; connectors run only in the Go half`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
}

func TestBadOptions(t *testing.T) {
	cat := testCatalog(t)
	user := loadYAML(t, "testdata/mixed_example/input.yaml")
	long := "/" + strings.Repeat("d", 95) // + "/b1.sock" = 104 bytes: fits linux, not macOS
	cases := []struct {
		name string
		opts Options
		want string
	}{
		{"relative dir", Options{SocketDir: "run/oh"}, "must be an absolute path"},
		{"space in dir", Options{SocketDir: "/run/my dir"}, "unusable in a unix:// target"},
		// The receiver would run in Rust and need no bridge socket: keep it in Go.
		{"sun_path strict default", Options{SocketDir: long, KeepReceiversInGo: true}, "sun_path holds at most 103 bytes"},
		{"sun_path darwin", Options{SocketDir: long, GOOS: "darwin", KeepReceiversInGo: true}, "on darwin"},
		{"tcp without allocator", Options{Transport: "tcp"}, "needs TCPAddr"},
		{"tcp not loopback", Options{Transport: "tcp", TCPAddr: func(int) (string, error) { return "0.0.0.0:4000", nil }}, "not a loopback"},
		{"bad transport", Options{Transport: "pipe", SocketDir: "/x"}, "neither unix nor tcp"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Partition(user, cat, c.opts)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
	if _, err := Partition(user, cat, Options{SocketDir: long, GOOS: "linux"}); err != nil {
		t.Fatalf("104-byte path must fit linux's 108-byte sun_path: %v", err)
	}
}

func TestNewCatalogRenamesAndRefusesClashes(t *testing.T) {
	cat := testCatalog(t)
	want := map[string]string{ // kind/type → native
		"receiver/rust_otlp":  "otlp",
		"exporter/rust_debug": "debug",
		"exporter/file":       "file",
		"exporter/otlp_rust":  "otlp_rust",
		"processor/fault":     "fault",
	}
	got := map[string]string{}
	var prev string
	for _, c := range cat.Components() {
		key := string(c.Kind) + "/" + c.Type
		if key < prev {
			t.Errorf("Components not sorted: %s after %s", key, prev)
		}
		prev = key
		if c.Runtime == Rust {
			got[key] = c.NativeType
		}
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s: native %q, want %q", k, got[k], n)
		}
	}
	if len(got) != 6 {
		t.Errorf("Rust types exposed: %v", got)
	}

	clash := append(testGoInfos(), ComponentInfo{Kind: Exporter, Type: "rust_debug", Signals: all3})
	_, err := NewCatalog(clash, testRustInfos())
	if err == nil || !strings.Contains(err.Error(), `exporter type "rust_debug" is provided by both runtimes`) {
		t.Fatalf("clash after renaming: got %v", err)
	}
	_, err = NewCatalog(append(testGoInfos(), testGoInfos()[0]), nil)
	if err == nil || !strings.Contains(err.Error(), "listed twice") {
		t.Fatalf("duplicate Go type: got %v", err)
	}
}
