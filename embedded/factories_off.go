//go:build !cgo || !otelcol_embedded

// Package embedded gathers the components an embedded build adds to the
// distribution: the in-process bridge ends and the extension that runs the
// Rust half. In this build (no cgo or no otelcol_embedded tag) it adds nothing.
package embedded

import "go.opentelemetry.io/collector/otelcol"

// AddFactories returns f unchanged: this build does not link the Rust library.
func AddFactories(f otelcol.Factories) otelcol.Factories { return f }
