package collector

import (
	"context"
	"runtime"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/connector/forwardconnector"
	"go.opentelemetry.io/collector/exporter/debugexporter"
	"go.opentelemetry.io/collector/exporter/otlpexporter"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/processor/batchprocessor"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.yaml.in/yaml/v3"

	"github.com/otelcol-hybrid/otelcol-hybrid/partition"
)

func testCatalog(t testing.TB) func() (*partition.Catalog, error) {
	t.Helper()
	f := otelcol.Factories{}
	var err error
	if f.Receivers, err = otelcol.MakeFactoryMap(otlpreceiver.NewFactory()); err != nil {
		t.Fatal(err)
	}
	if f.Processors, err = otelcol.MakeFactoryMap(batchprocessor.NewFactory()); err != nil {
		t.Fatal(err)
	}
	if f.Exporters, err = otelcol.MakeFactoryMap(otlpexporter.NewFactory(), debugexporter.NewFactory()); err != nil {
		t.Fatal(err)
	}
	if f.Connectors, err = otelcol.MakeFactoryMap(forwardconnector.NewFactory()); err != nil {
		t.Fatal(err)
	}
	cat, err := NewCatalog(f)
	if err != nil {
		t.Fatal(err)
	}
	return func() (*partition.Catalog, error) { return cat, nil }
}

func convert(t testing.TB, cfg string) (map[string]any, error) {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(cfg), &m); err != nil {
		t.Fatal(err)
	}
	conf := confmap.NewFromStringMap(m)
	c := NewConverterFactory(testCatalog(t), component.BuildInfo{Command: "otelcol-hybrid", Version: "9.9.9"}).Create(confmap.ConverterSettings{})
	if err := c.Convert(context.Background(), conf); err != nil {
		return nil, err
	}
	return conf.ToStringMap(), nil
}

func TestCatalogNamesCollidingRustTypesAndListsAliases(t *testing.T) {
	cat, _ := testCatalog(t)()
	byKey := map[string]partition.ComponentInfo{}
	for _, c := range cat.Components() {
		byKey[string(c.Kind)+"/"+c.Type] = c
	}
	for key, want := range map[string]struct {
		runtime partition.Runtime
		native  string
	}{
		"receiver/otlp":             {partition.Go, ""},
		"receiver/rust_otlp":        {partition.Rust, "otlp"},
		"exporter/rust_debug":       {partition.Rust, "debug"},
		"exporter/debug":            {partition.Go, ""},
		"exporter/otlp":             {partition.Go, ""}, // deprecated alias of otlp_grpc
		"exporter/otlp_grpc":        {partition.Go, ""},
		"exporter/otlp_rust":        {partition.Rust, ""},
		"processor/advanced_filter": {partition.Rust, ""},
		"connector/forward":         {partition.Go, ""},
	} {
		got, ok := byKey[key]
		if !ok {
			t.Errorf("%s missing from the catalog", key)
			continue
		}
		if got.Runtime != want.runtime || (want.native != "" && got.NativeType != want.native) {
			t.Errorf("%s: runtime %s native %q, want %s %q", key, got.Runtime, got.NativeType, want.runtime, want.native)
		}
	}
	if f := byKey["connector/forward"]; len(f.ConnectorPairs) != 3 || !strings.Contains(strings.Join(f.ConnectorPairs, ","), "traces->traces") {
		t.Errorf("forward connector pairs: %v", f.ConnectorPairs)
	}
}

func TestConverterInjectsExtensionsKeepingUserSettings(t *testing.T) {
	out, err := convert(t, `
receivers:
  otlp:
    protocols: {grpc: {endpoint: "127.0.0.1:4317"}}
processors:
  advanced_filter:
    drop_metrics: [up]
exporters:
  rust_debug: {}
extensions:
  rust_subprocess:
    start_timeout: 7s
    receiver_placement: false # a Go → Rust bridge, which needs bridge_context
    rust_config: {forged: true}
service:
  extensions: [rust_subprocess]
  pipelines:
    metrics:
      receivers: [otlp]
      processors: [advanced_filter]
      exporters: [rust_debug]
`)
	if err != nil {
		t.Fatal(err)
	}
	ext := out["extensions"].(map[string]any)
	sub := ext["rust_subprocess"].(map[string]any)
	if sub["start_timeout"] != "7s" {
		t.Errorf("user's start_timeout lost: %v", sub)
	}
	rc := sub["rust_config"].(map[string]any)
	if _, forged := rc["forged"]; forged {
		t.Errorf("user-supplied rust_config was not replaced by the partitioner's")
	}
	if _, ok := rc["processors"].(map[string]any)["advanced_filter"]; !ok {
		t.Errorf("Rust half lacks advanced_filter: %v", rc)
	}
	if sub["runtime_dir"] == "" || !strings.Contains(sub["health_endpoint"].(string), "h.sock") {
		t.Errorf("runtime dir / health endpoint not set: %v", sub)
	}
	if _, ok := ext["bridge_context"]; !ok {
		t.Errorf("bridge_context extension not defined")
	}
	list := out["service"].(map[string]any)["extensions"].([]any)
	if len(list) != 2 || list[0] != "rust_subprocess" && list[1] != "rust_subprocess" {
		t.Errorf("service.extensions = %v, want rust_subprocess once and bridge_context", list)
	}
	procs, _ := out["processors"].(map[string]any)
	if _, leaked := procs["advanced_filter"]; leaked {
		t.Errorf("Rust processor left in the Go half")
	}
	// Fed only through the bridge: half of this process's CPUs.
	want := max(1, runtime.GOMAXPROCS(0)/2)
	if got := rc["service"].(map[string]any)["worker_threads"]; got != want {
		t.Errorf("Rust half service.worker_threads = %v, want %d (GOMAXPROCS %d)", got, want, runtime.GOMAXPROCS(0))
	}
}

func TestConverterLeavesAllGoConfigAlone(t *testing.T) {
	out, err := convert(t, `
receivers:
  otlp:
    protocols: {grpc: {}}
exporters:
  debug: {}
service:
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [debug]
`)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := out["extensions"]; ok {
		t.Errorf("all-Go config got extensions: %v", out["extensions"])
	}
	grpc := out["receivers"].(map[string]any)["otlp"].(map[string]any)["protocols"].(map[string]any)["grpc"]
	if m, _ := grpc.(map[string]any); m["include_metadata"] != nil {
		t.Errorf("all-Go receiver was changed: %v", grpc)
	}
}

func TestConverterErrorsNameTheComponent(t *testing.T) {
	for cfg, want := range map[string]string{
		`
receivers: {otlp: {protocols: {grpc: {}}}}
exporters: {debug: {}}
service: {pipelines: {}}
`: "at least one pipeline",
		`
receivers: {otlp: {protocols: {grpc: {}}}}
processors: {advanced_filtr: {}}
exporters: {debug: {}}
service: {pipelines: {metrics: {receivers: [otlp], processors: [advanced_filtr], exporters: [debug]}}}
`: "advanced_filtr",
		`
receivers: {otlp: {protocols: {grpc: {}}}}
processors: {advanced_filter: {}}
exporters: {debug: {}}
extensions: {rust_subprocess: {worker_threads: -1}}
service: {pipelines: {metrics: {receivers: [otlp], processors: [advanced_filter], exporters: [debug]}}}
`: "extensions::rust_subprocess::worker_threads: -1 is not between 1 and 1024",
		`
receivers: {otlp: {protocols: {grpc: {}}}}
processors: {advanced_filter: {}}
exporters: {debug: {}}
extensions: {rust_subprocess: {worker_threads: 5000}}
service: {pipelines: {metrics: {receivers: [otlp], processors: [advanced_filter], exporters: [debug]}}}
`: "extensions::rust_subprocess::worker_threads: 5000 is not between 1 and 1024",
	} {
		_, err := convert(t, cfg)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not mention %q", err, want)
		}
	}
}
