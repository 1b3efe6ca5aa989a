//go:build cgo && otelcol_embedded

package ffibridgereceiver

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"
)

// Type is the receiver's type name; the partitioner writes it in embedded mode.
var Type = component.MustNewType("ffi_bridge")

// NewFactory returns the ffi_bridge receiver factory.
func NewFactory() receiver.Factory {
	return receiver.NewFactory(Type,
		func() component.Config { return &Config{} },
		receiver.WithTraces(func(_ context.Context, set receiver.Settings, _ component.Config, next consumer.Traces) (receiver.Traces, error) {
			return &bridgeReceiver{bridge: set.ID.Name(), traces: next}, nil
		}, component.StabilityLevelAlpha),
		receiver.WithMetrics(func(_ context.Context, set receiver.Settings, _ component.Config, next consumer.Metrics) (receiver.Metrics, error) {
			return &bridgeReceiver{bridge: set.ID.Name(), metrics: next}, nil
		}, component.StabilityLevelAlpha),
		receiver.WithLogs(func(_ context.Context, set receiver.Settings, _ component.Config, next consumer.Logs) (receiver.Logs, error) {
			return &bridgeReceiver{bridge: set.ID.Name(), logs: next}, nil
		}, component.StabilityLevelAlpha),
	)
}
