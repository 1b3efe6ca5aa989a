package collector

import (
	"strings"
	"testing"

	"github.com/otelcol-hybrid/otelcol-hybrid/collector/mode"
)

// The mode an operator asks for is resolved against what this binary links,
// and a mode it cannot run fails naming the setting and the reason.
func TestUserMode(t *testing.T) {
	withMode := func(v any) map[string]any {
		return map[string]any{"extensions": map[string]any{"rust_subprocess": map[string]any{"mode": v}}}
	}
	if m, err := userMode(map[string]any{}); err != nil || m != defaultMode() {
		t.Fatalf("unset mode: %q, %v; want this binary's default %q", m, err, defaultMode())
	}
	if _, err := userMode(withMode(7)); err == nil || !strings.Contains(err.Error(), "extensions::rust_subprocess::mode") {
		t.Fatalf("a non-string mode: %v", err)
	}
	unavailable := mode.ModeEmbedded
	if mode.EmbeddedLinked {
		unavailable = mode.ModeSubprocess
	}
	_, err := userMode(withMode(string(unavailable)))
	if err == nil || !strings.Contains(err.Error(), "extensions::rust_subprocess::mode") {
		t.Fatalf("mode %s in this build: %v, want an error naming the setting", unavailable, err)
	}
}
