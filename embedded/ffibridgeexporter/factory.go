//go:build cgo && otelcol_embedded

package ffibridgeexporter

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/otelcol-hybrid/otelcol-hybrid/embedded/ffi"
)

// Type is the exporter's type name; the partitioner writes it in embedded mode.
var Type = component.MustNewType("ffi_bridge")

// NewFactory returns the ffi_bridge exporter factory.
func NewFactory() exporter.Factory {
	return exporter.NewFactory(Type,
		func() component.Config { return createDefaultConfig() },
		exporter.WithTraces(func(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Traces, error) {
			e, c := newExporter(set, ffi.SignalTraces), cfg.(*Config)
			return exporterhelper.NewTraces(ctx, set, cfg, e.pushTraces, options(c)...)
		}, component.StabilityLevelAlpha),
		exporter.WithMetrics(func(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Metrics, error) {
			e, c := newExporter(set, ffi.SignalMetrics), cfg.(*Config)
			return exporterhelper.NewMetrics(ctx, set, cfg, e.pushMetrics, options(c)...)
		}, component.StabilityLevelAlpha),
		exporter.WithLogs(func(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Logs, error) {
			e, c := newExporter(set, ffi.SignalLogs), cfg.(*Config)
			return exporterhelper.NewLogs(ctx, set, cfg, e.pushLogs, options(c)...)
		}, component.StabilityLevelAlpha),
	)
}

func createDefaultConfig() *Config {
	return &Config{TimeoutConfig: exporterhelper.NewDefaultTimeoutConfig(), RetryConfig: configretry.NewDefaultBackOffConfig()}
}

// options: no sending queue, as on the gRPC bridge: the exporter sends in
// the caller's goroutine, so the caller's context reaches Rust untouched
// and the caller gets the Rust pipeline's answer.
func options(c *Config) []exporterhelper.Option {
	return []exporterhelper.Option{
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
		exporterhelper.WithTimeout(c.TimeoutConfig),
		exporterhelper.WithRetry(c.RetryConfig),
	}
}
