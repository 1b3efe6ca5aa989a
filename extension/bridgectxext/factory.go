package bridgectxext

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"
)

// NewFactory returns the bridge_context extension factory.
func NewFactory() extension.Factory {
	return extension.NewFactory(Type,
		func() component.Config { return &Config{} },
		func(context.Context, extension.Settings, component.Config) (extension.Extension, error) {
			return newMiddleware(Secret), nil
		},
		component.StabilityLevelAlpha)
}
