package builder

import (
	"fmt"

	"github.com/otelcol-hybrid/otelcol-hybrid/collector/mode"
)

// BuildMode resolves dist.subprocess_mode (auto: subprocess when
// CGO_ENABLED=0, as cgo is what an embedded build would need), through the
// same decision the binary makes at run time (collector/mode), so builder and
// binary can never disagree. cgoEnv is the CGO_ENABLED environment variable.
//
// The builder makes subprocess binaries only: `embedded` fails with the
// reason, cgo first because it is the one the user can act on. (This
// repository's own embedded binary is built by `make build-embedded`.)
func BuildMode(requested, cgoEnv string) (mode.Mode, error) {
	cgo := cgoEnv != "0"
	// What the binary the builder makes will link decides, not this process.
	m, err := selectBuilt(requested, cgo)
	if err == nil {
		return m, nil
	}
	switch {
	case mode.Mode(requested) != mode.ModeEmbedded:
		return "", fmt.Errorf("dist.subprocess_mode: %w", err)
	case !cgo:
		return "", fmt.Errorf("dist.subprocess_mode: embedded: cgo is required (CGO_ENABLED=0): embedded mode links the Rust components into the Go binary through cgo; use subprocess or auto")
	default:
		return "", fmt.Errorf("dist.subprocess_mode: embedded: the builder makes subprocess binaries only; an embedded binary is built with `make build-embedded` (go build -tags otelcol_embedded with rust/otelcol-ffi linked); use subprocess or auto")
	}
}

// selectBuilt is mode.Select for a binary that does not link the Rust
// library (the builder's output), whatever this process links.
func selectBuilt(requested string, cgo bool) (mode.Mode, error) {
	if mode.Mode(requested) == mode.ModeEmbedded {
		if !cgo {
			return mode.Select(requested, false)
		}
		return "", fmt.Errorf("embedded builds are not made by the builder")
	}
	if requested == "" || mode.Mode(requested) == mode.ModeAuto || mode.Mode(requested) == mode.ModeSubprocess {
		return mode.ModeSubprocess, nil
	}
	return mode.Select(requested, cgo)
}
