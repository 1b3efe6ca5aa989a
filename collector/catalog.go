package collector

import (
	_ "embed"
	"encoding/json"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/otelcol"

	"github.com/otelcol-hybrid/otelcol-hybrid/partition"
)

// rustComponentsJSON is `otelcol-rust components` of the embedded collector,
// captured at build time so that the catalog is known without extracting or
// running anything: a config with no Rust component must not touch the blob.
//
//go:embed rust_components.json
var rustComponentsJSON []byte

type rustComponentsFile struct {
	GeneratedBy string `json:"generated_by"`
	Components  []struct {
		Kind    string   `json:"kind"`
		Type    string   `json:"type"`
		Signals []string `json:"signals"`
	} `json:"components"`
}

// RustComponents returns the native component types of the embedded Rust collector.
func RustComponents() ([]partition.ComponentInfo, error) {
	return parseRustComponents(rustComponentsJSON)
}

func parseRustComponents(data []byte) ([]partition.ComponentInfo, error) {
	var f rustComponentsFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("rust_components.json: %w", err)
	}
	out := make([]partition.ComponentInfo, 0, len(f.Components))
	for _, c := range f.Components {
		out = append(out, partition.ComponentInfo{
			Kind: partition.Kind(c.Kind), Type: c.Type, Runtime: partition.Rust, Signals: c.Signals,
		})
	}
	return out, nil
}

// GoComponents describes the Go factories: a factory supports a signal when its
// stability for that signal is defined.
func GoComponents(f otelcol.Factories) []partition.ComponentInfo {
	var out []partition.ComponentInfo
	add := func(kind partition.Kind, typ component.Type, tr, me, lo component.StabilityLevel) {
		var sig []string
		for _, s := range []struct {
			name string
			lvl  component.StabilityLevel
		}{{"traces", tr}, {"metrics", me}, {"logs", lo}} {
			if s.lvl != component.StabilityLevelUndefined {
				sig = append(sig, s.name)
			}
		}
		out = append(out, partition.ComponentInfo{Kind: kind, Type: typ.String(), Runtime: partition.Go, Signals: sig})
	}
	// Map keys include deprecated aliases (otlp_grpc/otlp): both are valid
	// names in a config, so both go into the catalog.
	for typ, r := range f.Receivers {
		add(partition.Receiver, typ, r.TracesStability(), r.MetricsStability(), r.LogsStability())
	}
	for typ, p := range f.Processors {
		add(partition.Processor, typ, p.TracesStability(), p.MetricsStability(), p.LogsStability())
	}
	for typ, e := range f.Exporters {
		add(partition.Exporter, typ, e.TracesStability(), e.MetricsStability(), e.LogsStability())
	}
	for typ, c := range f.Connectors {
		out = append(out, connectorInfo(typ, c))
	}
	for typ := range f.Extensions {
		out = append(out, partition.ComponentInfo{Kind: partition.Extension, Type: typ.String(), Runtime: partition.Go})
	}
	return out
}

// NewCatalog joins the distribution's Go factories and the embedded Rust
// collector's components into the partitioner's catalog.
func NewCatalog(f otelcol.Factories) (*partition.Catalog, error) {
	rust, err := RustComponents()
	if err != nil {
		return nil, err
	}
	return partition.NewCatalog(GoComponents(f), rust)
}

// connectorInfo lists the signal pairs a connector supports, so the
// partitioner can check pipelines joined through it (e.g. spans → metrics).
func connectorInfo(typ component.Type, c connector.Factory) partition.ComponentInfo {
	info := partition.ComponentInfo{Kind: partition.Connector, Type: typ.String(), Runtime: partition.Go}
	seen := map[string]bool{}
	for _, p := range []struct {
		from, to string
		lvl      component.StabilityLevel
	}{
		{"traces", "traces", c.TracesToTracesStability()}, {"traces", "metrics", c.TracesToMetricsStability()}, {"traces", "logs", c.TracesToLogsStability()},
		{"metrics", "traces", c.MetricsToTracesStability()}, {"metrics", "metrics", c.MetricsToMetricsStability()}, {"metrics", "logs", c.MetricsToLogsStability()},
		{"logs", "traces", c.LogsToTracesStability()}, {"logs", "metrics", c.LogsToMetricsStability()}, {"logs", "logs", c.LogsToLogsStability()},
	} {
		if p.lvl == component.StabilityLevelUndefined {
			continue
		}
		info.ConnectorPairs = append(info.ConnectorPairs, p.from+"->"+p.to)
		for _, s := range []string{p.from, p.to} {
			if !seen[s] {
				seen[s] = true
				info.Signals = append(info.Signals, s)
			}
		}
	}
	return info
}
