package builder

import (
	"fmt"

	"github.com/otelcol-hybrid/otelcol-hybrid/collector/mode"
	"github.com/otelcol-hybrid/otelcol-hybrid/platforms"
)

// BuildMode resolves dist.subprocess_mode for a binary built for target on
// host. cgoEnv is the CGO_ENABLED environment variable.
//
// auto builds embedded when cgo is enabled and the target has an embedded
// flavour (Linux with a glibc floor: cgo binds the binary to a libc), and
// subprocess otherwise; CGO_ENABLED=0 always builds subprocess. Unset,
// CGO_ENABLED means what it means to the go command: on for a native build,
// off for a cross build.
//
// The decision is collector/mode's, taken for the binary about to be built
// (cgo and the Rust library linked exactly when it is embedded), so the
// builder and that binary's run-time `auto` can never disagree.
func BuildMode(requested, cgoEnv string, target, host platforms.Platform) (mode.Mode, error) {
	cgo := cgoEnv == "1" || (cgoEnv == "" && target == host)
	linkable := cgo && hasEmbeddedFlavour(target)
	switch mode.Mode(requested) {
	case mode.ModeEmbedded:
		// The reasons in the order the user can act on them.
		switch {
		case !cgo && cgoEnv == "0":
			return "", fmt.Errorf("dist.subprocess_mode: embedded: cgo is required (CGO_ENABLED=0): embedded mode links the Rust components into the Go binary through cgo; use subprocess or auto")
		case !hasEmbeddedFlavour(target):
			return "", fmt.Errorf("dist.subprocess_mode: embedded: %s has no embedded build: cgo binds the binary to glibc, and embedded binaries are made for linux/amd64 and linux/arm64; use subprocess or auto", target)
		case target.GOARCH != host.GOARCH || target.GOOS != host.GOOS:
			// The catalog of Rust components is read from the built object
			// by linking and running a probe, which needs the host's object.
			return "", fmt.Errorf("dist.subprocess_mode: embedded: building for %s on %s is not supported: the builder lists the Rust components by running the linked object; build on %s, or use subprocess", target, host, target)
		case !cgo:
			return "", fmt.Errorf("dist.subprocess_mode: embedded: cgo is required (CGO_ENABLED=0 by default when cross-building): set CGO_ENABLED=1, or use subprocess or auto")
		}
	case "", mode.ModeAuto:
		linkable = linkable && target == host
	default:
		linkable = false
	}
	m, err := mode.SelectFor(requested, linkable, linkable)
	if err != nil {
		return "", fmt.Errorf("dist.subprocess_mode: %w", err)
	}
	return m, nil
}

// hasEmbeddedFlavour: a Linux target with a glibc floor (platforms/), the
// ones scripts/build-embedded.sh builds.
func hasEmbeddedFlavour(p platforms.Platform) bool {
	return p.GOOS == "linux" && p.GlibcFloor != "" && (p.GOARCH == "amd64" || p.GOARCH == "arm64")
}
