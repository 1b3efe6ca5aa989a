// Package realfactories_test decodes partition's generated Go half with the
// real v0.162 collector factories. It lives in its own package so that the
// partition package's test binary (and its fuzz build) stays free of the
// collector's dependency tree.
package realfactories_test

import (
	"fmt"
	"testing"

	otelcomponent "go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/exporter/otlpexporter"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"

	"github.com/otelcol-hybrid/otelcol-hybrid/partition"
)

func catalog(t *testing.T) *partition.Catalog {
	sig := []string{"traces", "metrics", "logs"}
	cat, err := partition.NewCatalog(
		[]partition.ComponentInfo{
			{Kind: partition.Receiver, Type: "otlp", Signals: sig},
			{Kind: partition.Exporter, Type: "otlp_grpc", Signals: sig},
			{Kind: partition.Exporter, Type: "debug", Signals: sig},
		},
		[]partition.ComponentInfo{
			{Kind: partition.Receiver, Type: "otlp", Signals: sig},
			{Kind: partition.Processor, Type: "fault", Signals: sig},
			{Kind: partition.Exporter, Type: "otlp_rust", Signals: sig},
		})
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// TestGoHalfAcceptedByRealFactories: bridge exporters, bridge receivers and
// a user receiver that gained include_metadata all decode and validate with
// the real otlpexporter/otlpreceiver, over unix sockets and loopback TCP.
func TestGoHalfAcceptedByRealFactories(t *testing.T) {
	user := map[string]any{
		"receivers": map[string]any{"otlp": map[string]any{"protocols": map[string]any{
			"grpc": nil, "http": map[string]any{"endpoint": "localhost:4318"}}}},
		"processors": map[string]any{"fault": nil},
		"exporters":  map[string]any{"debug": nil},
		"service": map[string]any{"pipelines": map[string]any{
			"traces": map[string]any{"receivers": []any{"otlp"}, "processors": []any{"fault"}, "exporters": []any{"debug"}}}},
	}
	for _, opts := range []partition.Options{
		{SocketDir: "/run/oh"},
		{Transport: "tcp", TCPAddr: func(n int) (string, error) { return fmt.Sprintf("127.0.0.1:%d", 40000+n), nil }},
	} {
		res, err := partition.Partition(user, catalog(t), opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Bridges) != 2 {
			t.Fatalf("want 2 bridges, got %+v", res.Bridges)
		}
		for _, sec := range []string{"receivers", "exporters"} {
			for id, raw := range res.Go[sec].(map[string]any) {
				if id == "debug" {
					continue
				}
				var cfg otelcomponent.Config
				if sec == "receivers" {
					cfg = otlpreceiver.NewFactory().CreateDefaultConfig()
				} else {
					cfg = otlpexporter.NewFactory().CreateDefaultConfig()
				}
				m, _ := raw.(map[string]any)
				if err := confmap.NewFromStringMap(m).Unmarshal(cfg); err != nil {
					t.Fatalf("%s %s (%s): decode: %v", sec, id, opts.Transport, err)
				}
				if err := cfg.(interface{ Validate() error }).Validate(); err != nil {
					t.Fatalf("%s %s (%s): validate: %v", sec, id, opts.Transport, err)
				}
			}
		}
	}
}
