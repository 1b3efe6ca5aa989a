// Package mode picks how Rust components run in this binary.
package mode

import (
	"fmt"
)

// Mode is how Rust components run: linked into this process through cgo
// (embedded: bin/otelcol-hybrid-embedded) or as a supervised child
// extracted from the binary (subprocess: bin/otelcol-hybrid).
type Mode string

// The modes; auto picks the one this build supports.
const (
	ModeAuto       Mode = "auto"
	ModeEmbedded   Mode = "embedded"
	ModeSubprocess Mode = "subprocess"
)

// Select resolves the requested mode for this binary. cgoEnabled is
// whether the binary was built with cgo (embedded mode needs it).
func Select(requested string, cgoEnabled bool) (Mode, error) {
	return selectMode(requested, cgoEnabled, EmbeddedLinked)
}

// SelectFor is Select for a binary with the given build facts (linked: it
// links the Rust library), such as the one a builder is about to make, so
// that the builder decides as that binary will at run time.
func SelectFor(requested string, cgoEnabled, linked bool) (Mode, error) {
	return selectMode(requested, cgoEnabled, linked)
}

// selectMode is Select with the build's facts as parameters. linked: the
// binary links the Rust library (an embedded build).
func selectMode(requested string, cgoEnabled, linked bool) (Mode, error) {
	switch Mode(requested) {
	case "", ModeAuto:
		// Without cgo only the subprocess mode can work.
		if cgoEnabled && linked {
			return ModeEmbedded, nil
		}
		return ModeSubprocess, nil
	case ModeSubprocess:
		if linked {
			return "", fmt.Errorf("mode %q is unavailable: this embedded build links the Rust components in-process and carries no otelcol-rust executable to run as a child; use mode: embedded or auto, or the otelcol-hybrid binary for subprocess isolation", requested)
		}
		return ModeSubprocess, nil
	case ModeEmbedded:
		if !cgoEnabled {
			return "", fmt.Errorf("mode %q is unavailable: this binary was built with CGO_ENABLED=0 and embedded mode links the Rust components through cgo; use mode: subprocess or auto", requested)
		}
		if !linked {
			return "", fmt.Errorf("mode %q is unavailable: this binary does not link the Rust components (it runs them as a child); use otelcol-hybrid-embedded, or mode: subprocess or auto", requested)
		}
		return ModeEmbedded, nil
	default:
		return "", fmt.Errorf("mode %q is not one of auto, embedded, subprocess", requested)
	}
}

// EmbeddedExtensionType is the extension that runs the Rust half in-process
// in an embedded build (embedded/rustembeddedext).
const EmbeddedExtensionType = "rust_embedded"
