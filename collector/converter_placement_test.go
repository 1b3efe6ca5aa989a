package collector

import (
	"context"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
	"go.yaml.in/yaml/v3"
)

// placementConfig is the quickstart's shape: the collector's default otlp
// receiver feeding a Rust filter and a Rust exporter.
func placementConfig(ext string) string {
	return ext + `
receivers:
  otlp:
    protocols: {grpc: {endpoint: "127.0.0.1:4317"}, http: }
processors:
  advanced_filter: {drop_metrics: [up]}
exporters:
  otlp_rust: {endpoint: "127.0.0.1:9000"}
service:
  pipelines:
    metrics/filtered:
      receivers: [otlp]
      processors: [advanced_filter]
      exporters: [otlp_rust]
`
}

// convertLogged is convert with the converter's log captured.
func convertLogged(t *testing.T, cfg string) (map[string]any, []string, error) {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(cfg), &m); err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zap.InfoLevel)
	conf := confmap.NewFromStringMap(m)
	c := NewConverterFactory(testCatalog(t), component.BuildInfo{Command: "otelcol-hybrid", Version: "9.9.9"}).
		Create(confmap.ConverterSettings{Logger: zap.New(core)})
	err := c.Convert(context.Background(), conf)
	var lines []string
	for _, e := range logs.All() {
		lines = append(lines, e.Message)
	}
	return conf.ToStringMap(), lines, err
}

func rustHalfOf(t *testing.T, out map[string]any) map[string]any {
	t.Helper()
	ext, _ := out["extensions"].(map[string]any)["rust_subprocess"].(map[string]any)
	rc, _ := ext["rust_config"].(map[string]any)
	if rc == nil {
		t.Fatalf("no Rust half in %v", out)
	}
	return rc
}

func TestConverterPlacesTheReceiverInRustByDefault(t *testing.T) {
	out, logs, err := convertLogged(t, placementConfig(""))
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := out["receivers"].(map[string]any); r["otlp"] != nil || len(r) != 0 {
		t.Fatalf("Go half still has receivers: %v", r)
	}
	if e, _ := out["exporters"].(map[string]any); len(e) != 0 {
		t.Fatalf("Go half has exporters (a bridge?): %v", e)
	}
	if _, ok := out["extensions"].(map[string]any)["bridge_context"]; ok {
		t.Fatalf("bridge_context added without a Go → Rust bridge")
	}
	rust := rustHalfOf(t, out)
	recv := rust["receivers"].(map[string]any)["otlp"].(map[string]any)["protocols"].(map[string]any)
	grpc := recv["grpc"].(map[string]any)
	http := recv["http"].(map[string]any)
	if grpc["endpoint"] != "127.0.0.1:4317" || grpc["max_recv_msg_size_mib"] != 4 || grpc["include_metadata"] != false ||
		http["endpoint"] != "localhost:4318" || http["traces_url_path"] != "/v1/traces" {
		t.Fatalf("Rust receiver settings: %v", recv)
	}
	pipe := rust["service"].(map[string]any)["pipelines"].(map[string]any)["metrics/filtered"].(map[string]any)
	if r := pipe["receivers"].([]any); len(r) != 1 || r[0] != "otlp" {
		t.Fatalf("Rust pipeline receivers: %v", r)
	}
	want := "receiver otlp runs in the Rust half: every pipeline after it is Rust (metrics/filtered), no bridge"
	if !containsLine(logs, want) {
		t.Fatalf("log lacks %q:\n%s", want, strings.Join(logs, "\n"))
	}
}

func TestConverterReceiverPlacementOffBuildsTheBridge(t *testing.T) {
	for _, v := range []string{"false"} {
		out, logs, err := convertLogged(t, placementConfig("extensions:\n  rust_subprocess:\n    receiver_placement: "+v+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		grpc := out["receivers"].(map[string]any)["otlp"].(map[string]any)["protocols"].(map[string]any)["grpc"].(map[string]any)
		if grpc["include_metadata"] != true {
			t.Fatalf("Go receiver feeding a bridge lacks include_metadata: %v", grpc)
		}
		if _, ok := out["exporters"].(map[string]any)["otlp_grpc/bridge_1"]; !ok {
			t.Fatalf("no Go bridge exporter: %v", out["exporters"])
		}
		if _, ok := rustHalfOf(t, out)["receivers"].(map[string]any)["otlp/bridge_1"]; !ok {
			t.Fatalf("no Rust bridge receiver")
		}
		// The extension still accepts the key it was given.
		if ext := out["extensions"].(map[string]any)["rust_subprocess"].(map[string]any); ext["receiver_placement"] == nil {
			t.Fatalf("receiver_placement dropped from the extension config: %v", ext)
		}
		if want := "receiver otlp stays in Go: receiver placement is off"; !containsLine(logs, want) {
			t.Fatalf("log lacks %q:\n%s", want, strings.Join(logs, "\n"))
		}
	}
	// Not a boolean, the quoted "false" included: the collector refuses it
	// when it decodes the extension, so the converter does, naming the field.
	for _, v := range []string{"sometimes", `"false"`} {
		if _, _, err := convertLogged(t, placementConfig("extensions:\n  rust_subprocess:\n    receiver_placement: "+v+"\n")); err == nil ||
			!strings.Contains(err.Error(), "extensions::rust_subprocess::receiver_placement: expected type 'bool'") {
			t.Fatalf("receiver_placement: %s: err = %v", v, err)
		}
	}
}

func TestConverterLogsWhyAReceiverStaysInGo(t *testing.T) {
	cfg := strings.Replace(placementConfig(""), `grpc: {endpoint: "127.0.0.1:4317"}`,
		`grpc: {endpoint: "127.0.0.1:4317", keepalive: {server_parameters: {time: 10s}}}`, 1)
	out, logs, err := convertLogged(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := out["receivers"].(map[string]any)["otlp"]; !ok {
		t.Fatal("the receiver left the Go half")
	}
	want := "receiver otlp stays in Go: protocols.grpc.keepalive is not implemented by the Rust otlp receiver"
	if !containsLine(logs, want) {
		t.Fatalf("log lacks %q:\n%s", want, strings.Join(logs, "\n"))
	}
}

func containsLine(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}
