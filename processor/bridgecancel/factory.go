package bridgecancel

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"
)

// Type is the processor's type name; the partitioner appends it to the Go
// pipelines that end in a bridge exporter.
var Type = component.MustNewType("bridge_cancel")

// NewFactory returns the bridge_cancel processor factory.
func NewFactory() processor.Factory {
	return processor.NewFactory(Type,
		func() component.Config { return &Config{} },
		processor.WithTraces(func(_ context.Context, _ processor.Settings, cfg component.Config, next consumer.Traces) (processor.Traces, error) {
			return &traces{canceller: newCanceller(cfg), next: next}, nil
		}, component.StabilityLevelAlpha),
		processor.WithMetrics(func(_ context.Context, _ processor.Settings, cfg component.Config, next consumer.Metrics) (processor.Metrics, error) {
			return &metrics{canceller: newCanceller(cfg), next: next}, nil
		}, component.StabilityLevelAlpha),
		processor.WithLogs(func(_ context.Context, _ processor.Settings, cfg component.Config, next consumer.Logs) (processor.Logs, error) {
			return &logs{canceller: newCanceller(cfg), next: next}, nil
		}, component.StabilityLevelAlpha),
	)
}
