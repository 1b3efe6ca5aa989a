package collector

import (
	"fmt"
	"strings"
	"testing"
)

// extensions.rust_subprocess.bridge_timeout sets the timeout of the bridges in
// both halves (the Go exporter's timeout is the grpc-timeout Rust sees).
func TestConverterAppliesOperatorBridgeTimeout(t *testing.T) {
	cfg := func(bt string) string {
		ext := ""
		if bt != "" {
			ext = fmt.Sprintf("extensions:\n  rust_subprocess:\n    bridge_timeout: %s\n", bt)
		}
		return ext + `
receivers:
  otlp:
    protocols: {grpc: {endpoint: "127.0.0.1:4317"}}
  rust_otlp:
    protocols: {grpc: {endpoint: "127.0.0.1:4318"}}
processors:
  advanced_filter: {drop_metrics: [up]}
exporters:
  debug: {}
service:
  pipelines:
    metrics:
      receivers: [otlp]
      processors: [advanced_filter]
      exporters: [debug]
    metrics/back:
      receivers: [rust_otlp]
      exporters: [debug]
`
	}
	timeouts := func(out map[string]any) (goT, rustT []any) {
		for id, c := range out["exporters"].(map[string]any) {
			if strings.HasPrefix(id, "otlp_grpc/bridge_") {
				goT = append(goT, c.(map[string]any)["timeout"])
			}
		}
		rc := out["extensions"].(map[string]any)["rust_subprocess"].(map[string]any)["rust_config"].(map[string]any)
		for id, c := range rc["exporters"].(map[string]any) {
			if strings.HasPrefix(id, "otlp_rust/bridge_") {
				rustT = append(rustT, c.(map[string]any)["timeout"])
			}
		}
		return goT, rustT
	}
	for bt, want := range map[string]string{"": "30s", "1500ms": "1.5s", "2s": "2s"} {
		out, err := convert(t, cfg(bt))
		if err != nil {
			t.Fatalf("bridge_timeout %q: %v", bt, err)
		}
		goT, rustT := timeouts(out)
		ok := len(goT) == 1 && len(rustT) == 2
		for _, v := range append(goT, rustT...) {
			ok = ok && v == want
		}
		if !ok {
			t.Errorf("bridge_timeout %q: Go bridge timeouts %v, Rust %v, want %s each", bt, goT, rustT, want)
		}
	}
	for _, bad := range []string{"-1s", "soon"} {
		if _, err := convert(t, cfg(bad)); err == nil || !strings.Contains(err.Error(), "bridge_timeout") {
			t.Errorf("bridge_timeout %q: err = %v, want a bridge_timeout error", bad, err)
		}
	}
}
