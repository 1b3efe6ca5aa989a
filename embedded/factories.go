//go:build cgo && otelcol_embedded

// Package embedded gathers the components an embedded build adds to the
// distribution: the in-process bridge ends and the extension that runs the
// Rust half. In any other build it adds nothing.
package embedded

import (
	"go.opentelemetry.io/collector/otelcol"

	"github.com/otelcol-hybrid/otelcol-hybrid/embedded/ffibridgeexporter"
	"github.com/otelcol-hybrid/otelcol-hybrid/embedded/ffibridgereceiver"
	"github.com/otelcol-hybrid/otelcol-hybrid/embedded/rustembeddedext"
)

// AddFactories adds the embedded-mode components to f.
func AddFactories(f otelcol.Factories) otelcol.Factories {
	rf, ef, xf := ffibridgereceiver.NewFactory(), ffibridgeexporter.NewFactory(), rustembeddedext.NewFactory()
	f.Receivers[rf.Type()] = rf
	f.Exporters[ef.Type()] = ef
	f.Extensions[xf.Type()] = xf
	const module = "github.com/otelcol-hybrid/otelcol-hybrid/embedded (in-process Rust)"
	if f.ReceiverModules != nil {
		f.ReceiverModules[rf.Type()] = module
	}
	if f.ExporterModules != nil {
		f.ExporterModules[ef.Type()] = module
	}
	if f.ExtensionModules != nil {
		f.ExtensionModules[xf.Type()] = module
	}
	return f
}
