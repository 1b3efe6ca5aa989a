//go:build cgo && otelcol_embedded

package ffibridgeexporter

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter"

	"github.com/otelcol-hybrid/otelcol-hybrid/embedded/ffi"
)

// Type is the exporter's type name; the partitioner writes it in embedded mode.
var Type = component.MustNewType("ffi_bridge")

// NewFactory returns the ffi_bridge exporter factory.
func NewFactory() exporter.Factory {
	return exporter.NewFactory(Type,
		func() component.Config { return &Config{} },
		exporter.WithTraces(func(_ context.Context, set exporter.Settings, _ component.Config) (exporter.Traces, error) {
			return newExporter(set, ffi.SignalTraces), nil
		}, component.StabilityLevelAlpha),
		exporter.WithMetrics(func(_ context.Context, set exporter.Settings, _ component.Config) (exporter.Metrics, error) {
			return newExporter(set, ffi.SignalMetrics), nil
		}, component.StabilityLevelAlpha),
		exporter.WithLogs(func(_ context.Context, set exporter.Settings, _ component.Config) (exporter.Logs, error) {
			return newExporter(set, ffi.SignalLogs), nil
		}, component.StabilityLevelAlpha),
	)
}
