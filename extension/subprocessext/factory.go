// Package subprocessext is the collector extension that runs the Rust half of
// a partitioned config: it extracts the embedded otelcol-rust, writes the Rust
// config into the private runtime dir and keeps the child alive through the
// supervisor. Extensions start before, and stop after, every pipeline component,
// so the child is SERVING before a Go bridge exporter sends and is stopped only
// after those exporters drained.
package subprocessext

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"
)

// Type is the extension's type name.
var Type = component.MustNewType("rust_subprocess")

// NewFactory returns the rust_subprocess extension factory.
func NewFactory() extension.Factory {
	return extension.NewFactory(Type,
		func() component.Config { return createDefaultConfig() },
		func(_ context.Context, set extension.Settings, cfg component.Config) (extension.Extension, error) {
			return newExtension(set, cfg.(*Config)), nil
		},
		component.StabilityLevelAlpha)
}
