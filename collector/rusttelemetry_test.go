package collector

import (
	"reflect"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.yaml.in/yaml/v3"

	"github.com/otelcol-hybrid/otelcol-hybrid/partition"
)

func TestRustTelemetryFollowsTheUsersServiceTelemetry(t *testing.T) {
	build := component.BuildInfo{Command: "otelcol-hybrid", Version: "1.2.3"}
	res := map[string]any{"service.name": "otelcol-hybrid", "service.version": "1.2.3"}
	for _, tc := range []struct {
		name, telemetry string
		want            map[string]any
		warn            string // substring of the only warning; "" = none
	}{
		{"nothing set", `{}`, map[string]any{}, ""},
		{"log level", `{logs: {level: debug, encoding: json}}`, map[string]any{"logs": map[string]any{"level": "debug"}}, ""},
		{"metrics level", `{metrics: {level: Detailed, readers: [{pull: {exporter: {prometheus: {port: 8888}}}}]}}`,
			map[string]any{"metrics": map[string]any{"level": "detailed"}}, ""},
		{"grpc over http://", `{traces: {processors: [{batch: {exporter: {otlp: {protocol: grpc, endpoint: "http://10.0.0.1:4317",
		  headers: [{name: X-Key, value: k1}], headers_list: "x-key=k0,x-team=obs"}}}}]}}`,
			map[string]any{"traces": map[string]any{"endpoint": "http://10.0.0.1:4317", "resource": res,
				"headers": map[string]any{"x-key": "k1", "x-team": "obs"}}}, ""},
		{"bare host, insecure", `{traces: {processors: [{simple: {exporter: {otlp: {protocol: grpc, endpoint: "agent:4317", insecure: true}}}}]}}`,
			map[string]any{"traces": map[string]any{"endpoint": "http://agent:4317", "resource": res}}, ""},
		{"bare host is TLS", `{traces: {processors: [{batch: {exporter: {otlp: {protocol: grpc, endpoint: "agent:4317"}}}}]}}`,
			map[string]any{}, `service::telemetry::traces::processors[0]::batch::exporter::otlp: endpoint "agent:4317" uses TLS`},
		{"https", `{traces: {processors: [{batch: {exporter: {otlp: {protocol: grpc, endpoint: "https://x:4317", insecure: true}}}}]}}`,
			map[string]any{}, "uses TLS"},
		{"otlp/http then grpc", `{traces: {processors: [
		    {batch: {exporter: {otlp: {protocol: http/protobuf, endpoint: "http://x:4318"}}}},
		    {batch: {exporter: {otlp: {protocol: grpc, endpoint: "http://y:4317"}}}}]}}`,
			map[string]any{"traces": map[string]any{"endpoint": "http://y:4317", "resource": res}},
			`processors[0]::batch::exporter::otlp: protocol "http/protobuf": otelcol-rust exports spans over OTLP/gRPC (protocol: grpc) only`},
		{"level none", `{traces: {level: none, processors: [{batch: {exporter: {otlp: {protocol: grpc, endpoint: "http://y:4317"}}}}]}}`,
			map[string]any{}, ""},
		{"inline resource", `{resource: {service.name: edge, host.name: h1, service.version: null},
		  traces: {processors: [{batch: {exporter: {otlp: {protocol: grpc, endpoint: "http://y:4317"}}}}]}}`,
			map[string]any{"traces": map[string]any{"endpoint": "http://y:4317", "resource": map[string]any{"service.name": "edge", "host.name": "h1"}}}, ""},
		{"declarative resource", `{resource: {attributes: [{name: deployment.environment, value: prod}]},
		  traces: {processors: [{batch: {exporter: {otlp: {protocol: grpc, endpoint: "http://y:4317"}}}}]}}`,
			map[string]any{"traces": map[string]any{"endpoint": "http://y:4317", "resource": map[string]any{
				"service.name": "otelcol-hybrid", "service.version": "1.2.3", "deployment.environment": "prod"}}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var tel map[string]any
			if err := yaml.Unmarshal([]byte(tc.telemetry), &tel); err != nil {
				t.Fatal(err)
			}
			got, warnings := rustTelemetry(map[string]any{"service": map[string]any{"telemetry": tel}}, build)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %#v\nwant %#v", got, tc.want)
			}
			switch {
			case tc.warn == "" && len(warnings) > 0:
				t.Errorf("unexpected warnings %q", warnings)
			case tc.warn != "" && (len(warnings) != 1 || !strings.Contains(warnings[0], tc.warn)):
				t.Errorf("warnings %q, want one containing %q", warnings, tc.warn)
			}
		})
	}
}

// TestConverterGivesTheRustHalfTheTelemetrySettings: the mapping reaches the
// rust.yaml the extension writes.
func TestConverterGivesTheRustHalfTheTelemetrySettings(t *testing.T) {
	out, err := convert(t, `
receivers:
  otlp:
    protocols: {grpc: {endpoint: "127.0.0.1:4317"}}
exporters:
  rust_debug: {}
service:
  telemetry:
    logs: {level: warn}
    traces:
      processors:
        - batch: {exporter: {otlp: {protocol: grpc, endpoint: "http://127.0.0.1:4319"}}}
  pipelines:
    metrics:
      receivers: [otlp]
      exporters: [rust_debug]
`)
	if err != nil {
		t.Fatal(err)
	}
	rc := out["extensions"].(map[string]any)["rust_subprocess"].(map[string]any)["rust_config"].(map[string]any)
	tel := rc["service"].(map[string]any)["telemetry"].(map[string]any)
	if tel["logs"].(map[string]any)["level"] != "warn" || tel["traces"].(map[string]any)["endpoint"] != "http://127.0.0.1:4319" {
		t.Fatalf("Rust half telemetry = %v", tel)
	}
	if out["service"].(map[string]any)["telemetry"].(map[string]any)["traces"] == nil {
		t.Fatal("the Go half lost its own telemetry settings")
	}
}

func TestRustComponentNamesMapNativeIDsBackToTheUsers(t *testing.T) {
	cat, err := partition.NewCatalog(
		[]partition.ComponentInfo{
			{Kind: partition.Receiver, Type: "otlp", Runtime: partition.Go, Signals: []string{"metrics"}},
			{Kind: partition.Exporter, Type: "debug", Runtime: partition.Go, Signals: []string{"metrics"}},
		},
		[]partition.ComponentInfo{
			{Kind: partition.Receiver, Type: "otlp", Runtime: partition.Rust, Signals: []string{"metrics"}},
			{Kind: partition.Exporter, Type: "debug", Runtime: partition.Rust, Signals: []string{"metrics"}},
			{Kind: partition.Processor, Type: "advanced_filter", Runtime: partition.Rust, Signals: []string{"metrics"}},
		})
	if err != nil {
		t.Fatal(err)
	}
	var user map[string]any
	if err := yaml.Unmarshal([]byte(`
receivers: {rust_otlp/in: {}, otlp: {}}
processors: {advanced_filter: {}}
exporters: {rust_debug: {}, debug: {}}
`), &user); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"receiver:otlp/in": "rust_otlp/in", "exporter:debug": "rust_debug"}
	if got := rustComponentNames(user, cat); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}
