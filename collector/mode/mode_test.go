package mode

import (
	"strings"
	"testing"
)

func TestSelect(t *testing.T) {
	for _, tc := range []struct {
		req     string
		cgo     bool
		want    Mode
		errWord string
	}{
		{"", false, ModeSubprocess, ""},
		{"auto", false, ModeSubprocess, ""},
		// Embedded is not built in this version, so auto never picks it.
		{"auto", true, ModeSubprocess, ""},
		{"subprocess", true, ModeSubprocess, ""},
		{"embedded", false, "", "CGO_ENABLED=0"},
		{"embedded", true, "", "not implemented in this version"},
		{"ffi", false, "", "not one of auto, embedded, subprocess"},
	} {
		got, err := Select(tc.req, tc.cgo)
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
