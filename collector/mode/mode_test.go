package mode

import (
	"strings"
	"testing"
)

func TestSelect(t *testing.T) {
	for _, tc := range []struct {
		req     string
		cgo     bool
		linked  bool
		want    Mode
		errWord string
	}{
		{"", false, false, ModeSubprocess, ""},
		{"auto", false, false, ModeSubprocess, ""},
		// A cgo build without the Rust library linked stays subprocess.
		{"auto", true, false, ModeSubprocess, ""},
		{"auto", true, true, ModeEmbedded, ""},
		{"", true, true, ModeEmbedded, ""},
		{"subprocess", true, false, ModeSubprocess, ""},
		{"subprocess", true, true, "", "carries no otelcol-rust executable"},
		{"embedded", false, false, "", "CGO_ENABLED=0"},
		{"embedded", true, false, "", "does not link the Rust components"},
		{"embedded", true, true, ModeEmbedded, ""},
		{"ffi", false, false, "", "not one of auto, embedded, subprocess"},
	} {
		got, err := selectMode(tc.req, tc.cgo, tc.linked)
		if tc.errWord != "" {
			if err == nil || !strings.Contains(err.Error(), tc.errWord) {
				t.Errorf("Select(%q, cgo=%v) error = %v, want one saying %q", tc.req, tc.cgo, err, tc.errWord)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Select(%q, cgo=%v) = %q, %v; want %q", tc.req, tc.cgo, got, err, tc.want)
		}
	}
}
