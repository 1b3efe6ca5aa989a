//go:build cgo && otelcol_embedded

package rustembeddedext

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"

	"github.com/otelcol-hybrid/otelcol-hybrid/collector/mode"
	"github.com/otelcol-hybrid/otelcol-hybrid/embedded/ffi"
)

// Type is the extension's type name.
var Type = component.MustNewType(mode.EmbeddedExtensionType)

// NewFactory returns the rust_embedded extension factory.
func NewFactory() extension.Factory {
	return extension.NewFactory(Type,
		func() component.Config { return &Config{validate: ffi.Validate} },
		func(_ context.Context, set extension.Settings, cfg component.Config) (extension.Extension, error) {
			return &embeddedExtension{cfg: cfg.(*Config), set: set}, nil
		},
		component.StabilityLevelAlpha)
}
