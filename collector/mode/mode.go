// Package mode picks how Rust components run in this binary.
package mode

import (
	"fmt"
)

// Mode is how Rust components run: linked into this process (embedded, an
// FFI design this version does not ship) or as a supervised child (subprocess).
type Mode string

// The modes; auto picks the one this build supports.
const (
	ModeAuto       Mode = "auto"
	ModeEmbedded   Mode = "embedded"
	ModeSubprocess Mode = "subprocess"
)

// embeddedAvailable says whether this build links the Rust components in-process.
// This version only ships the subprocess runtime; the builder refuses to
// produce an embedded build, so a binary can never claim it.
const embeddedAvailable = false

// Select resolves the requested mode for this binary. cgoEnabled is
// whether the binary was built with cgo (embedded mode needs it).
func Select(requested string, cgoEnabled bool) (Mode, error) {
	switch Mode(requested) {
	case "", ModeAuto:
		// Without cgo only the subprocess mode can work.
		if cgoEnabled && embeddedAvailable {
			return ModeEmbedded, nil
		}
		return ModeSubprocess, nil
	case ModeSubprocess:
		return ModeSubprocess, nil
	case ModeEmbedded:
		if !cgoEnabled {
			return "", fmt.Errorf("mode %q is unavailable: this binary was built with CGO_ENABLED=0 and embedded mode links the Rust components through cgo; use mode: subprocess or auto", requested)
		}
		if !embeddedAvailable {
			return "", fmt.Errorf("mode %q is unavailable: embedded (in-process FFI) mode is not implemented in this version; use mode: subprocess or auto", requested)
		}
		return ModeEmbedded, nil
	default:
		return "", fmt.Errorf("mode %q is not one of auto, embedded, subprocess", requested)
	}
}
