package builder

import (
	"strings"
	"testing"

	"github.com/otelcol-hybrid/otelcol-hybrid/collector/mode"
)

func TestBuildMode(t *testing.T) {
	for _, tc := range []struct {
		req, cgoEnv string
		want        mode.Mode
		errWord     string
	}{
		// auto → subprocess when CGO_ENABLED=0.
		{"auto", "0", mode.ModeSubprocess, ""},
		{"", "0", mode.ModeSubprocess, ""},
		// With cgo, auto still builds subprocess: the builder makes no embedded binaries.
		{"auto", "1", mode.ModeSubprocess, ""},
		{"auto", "", mode.ModeSubprocess, ""},
		{"subprocess", "1", mode.ModeSubprocess, ""},
		{"subprocess", "0", mode.ModeSubprocess, ""},
		{"embedded", "0", "", "cgo is required (CGO_ENABLED=0)"},
		{"embedded", "1", "", "the builder makes subprocess binaries only"},
		{"embedded", "", "", "make build-embedded"},
		{"ffi", "1", "", "not one of auto, embedded, subprocess"},
	} {
		got, err := BuildMode(tc.req, tc.cgoEnv)
		if tc.errWord != "" {
			if err == nil || !strings.Contains(err.Error(), tc.errWord) || !strings.HasPrefix(err.Error(), "dist.subprocess_mode") {
				t.Errorf("BuildMode(%q, CGO_ENABLED=%q) error = %v, want one saying %q", tc.req, tc.cgoEnv, err, tc.errWord)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("BuildMode(%q, CGO_ENABLED=%q) = %q, %v; want %q", tc.req, tc.cgoEnv, got, err, tc.want)
		}
	}
}
