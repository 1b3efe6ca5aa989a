package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The acceptance line: CGO_ENABLED=0 with subprocess_mode: embedded
// fails, saying cgo is required, before anything is built.
func TestEmbeddedWithoutCgoFails(t *testing.T) {
	dir := t.TempDir()
	manifest := filepath.Join(dir, "m.yaml")
	err := os.WriteFile(manifest, []byte(`dist:
  name: otelcol-x
  output_path: `+filepath.Join(dir, "out")+`
  subprocess_mode: embedded
processors:
  - cargo: advanced_filter = "0.1.0"
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("CGO_ENABLED", "0")
	for _, err := range []error{
		build([]string{"--config", manifest}),
		generate([]string{"--config", manifest, "--go-out", dir, "--rust-out", dir}),
	} {
		if err == nil || !strings.Contains(err.Error(), "cgo is required") || strings.Contains(err.Error(), "\n") {
			t.Errorf("error = %v, want one line saying cgo is required", err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); !os.IsNotExist(err) {
		t.Errorf("something was built before the mode was checked: %v", err)
	}
	t.Setenv("CGO_ENABLED", "1")
	if err := build([]string{"--config", manifest}); err == nil || !strings.Contains(err.Error(), "make build-embedded") {
		t.Errorf("with cgo: error = %v, want the builder to point at make build-embedded", err)
	}
}
