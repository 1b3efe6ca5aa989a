package builder

import (
	"strings"
	"testing"

	"github.com/otelcol-hybrid/otelcol-hybrid/collector/mode"
	"github.com/otelcol-hybrid/otelcol-hybrid/platforms"
)

func TestBuildMode(t *testing.T) {
	amd64, _ := platforms.Lookup("linux", "amd64")
	arm64, _ := platforms.Lookup("linux", "arm64")
	darwin, _ := platforms.Lookup("darwin", "arm64")
	windows, _ := platforms.Lookup("windows", "amd64")
	for _, tc := range []struct {
		req, cgoEnv  string
		target, host platforms.Platform
		want         mode.Mode
		errWord      string
	}{
		// auto → subprocess when CGO_ENABLED=0.
		{"auto", "0", amd64, amd64, mode.ModeSubprocess, ""},
		{"", "0", amd64, amd64, mode.ModeSubprocess, ""},
		// auto with cgo on Linux builds embedded; unset CGO_ENABLED is on
		// for a native build, as for the go command.
		{"auto", "1", amd64, amd64, mode.ModeEmbedded, ""},
		{"auto", "", amd64, amd64, mode.ModeEmbedded, ""},
		{"", "", arm64, arm64, mode.ModeEmbedded, ""},
		// ... and off for a cross build, so auto stays subprocess there.
		{"auto", "", arm64, amd64, mode.ModeSubprocess, ""},
		{"auto", "1", arm64, amd64, mode.ModeSubprocess, ""},
		// No embedded flavour off Linux: auto is subprocess.
		{"auto", "1", darwin, darwin, mode.ModeSubprocess, ""},
		{"auto", "", windows, amd64, mode.ModeSubprocess, ""},
		{"subprocess", "1", amd64, amd64, mode.ModeSubprocess, ""},
		{"subprocess", "", amd64, amd64, mode.ModeSubprocess, ""},
		{"subprocess", "0", amd64, amd64, mode.ModeSubprocess, ""},
		{"embedded", "1", amd64, amd64, mode.ModeEmbedded, ""},
		{"embedded", "", amd64, amd64, mode.ModeEmbedded, ""},
		{"embedded", "0", amd64, amd64, "", "cgo is required (CGO_ENABLED=0)"},
		{"embedded", "1", darwin, darwin, "", "darwin/arm64 has no embedded build"},
		{"embedded", "1", windows, amd64, "", "made for linux/amd64 and linux/arm64"},
		{"embedded", "1", arm64, amd64, "", "building for linux/arm64 on linux/amd64 is not supported"},
		{"ffi", "1", amd64, amd64, "", "not one of auto, embedded, subprocess"},
	} {
		got, err := BuildMode(tc.req, tc.cgoEnv, tc.target, tc.host)
		if tc.errWord != "" {
			if err == nil || !strings.Contains(err.Error(), tc.errWord) || !strings.HasPrefix(err.Error(), "dist.subprocess_mode") || strings.Contains(err.Error(), "\n") {
				t.Errorf("BuildMode(%q, CGO_ENABLED=%q, %s on %s) error = %v, want one line saying %q", tc.req, tc.cgoEnv, tc.target, tc.host, err, tc.errWord)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("BuildMode(%q, CGO_ENABLED=%q, %s on %s) = %q, %v; want %q", tc.req, tc.cgoEnv, tc.target, tc.host, got, err, tc.want)
			continue
		}
		// The binary decides as the builder did: an embedded build has cgo
		// and the Rust library linked, a subprocess build neither (OCB
		// compiles it with CGO_ENABLED=0).
		linked := got == mode.ModeEmbedded
		if run, err := mode.SelectFor(tc.req, linked, linked); err != nil || run != got {
			t.Errorf("%q built %s, but the binary would run %q (%v)", tc.req, got, run, err)
		}
	}
}
