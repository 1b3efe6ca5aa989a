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
// Only the subprocess mode can be built in this version: `embedded` fails
// with the reason, cgo first because it is the one the user can act on.
func BuildMode(requested, cgoEnv string) (mode.Mode, error) {
	cgo := cgoEnv != "0"
	m, err := mode.Select(requested, cgo)
	if err == nil {
		return m, nil
	}
	switch {
	case mode.Mode(requested) != mode.ModeEmbedded:
		return "", fmt.Errorf("dist.subprocess_mode: %w", err)
	case !cgo:
		return "", fmt.Errorf("dist.subprocess_mode: embedded: cgo is required (CGO_ENABLED=0): embedded mode links the Rust components into the Go binary through cgo; use subprocess or auto")
	default:
		return "", fmt.Errorf("dist.subprocess_mode: embedded: embedded mode is not available in this version (the in-process FFI runtime is not built); use subprocess or auto")
	}
}
