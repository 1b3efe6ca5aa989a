package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// CGO_ENABLED=0 with subprocess_mode: embedded fails, saying cgo is
// required, before anything is built; so does a target without an
// embedded flavour.
func TestEmbeddedWithoutCgoFails(t *testing.T) {
	dir, manifest := embeddedManifest(t)
	t.Setenv("CGO_ENABLED", "0")
	var err error
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
	// With cgo, embedded is built for Linux only: cgo binds the binary to glibc.
	t.Setenv("CGO_ENABLED", "1")
	t.Setenv("GOOS", "darwin")
	t.Setenv("GOARCH", "arm64")
	err = build([]string{"--config", manifest})
	if err == nil || !strings.Contains(err.Error(), "m.yaml: dist.subprocess_mode: embedded: darwin/arm64 has no embedded build") || strings.Contains(err.Error(), "\n") {
		t.Errorf("for darwin: error = %v, want one line naming the manifest, the field and the platform", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); !os.IsNotExist(err) {
		t.Errorf("something was built before the mode was checked: %v", err)
	}
}

// An embedded binary links its Rust components and embeds no collectors, so
// --platforms (the collectors to embed) is refused before anything is built.
func TestEmbeddedRefusesPlatforms(t *testing.T) {
	if runtime.GOOS != "linux" || (runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64") {
		t.Skip("embedded distributions are built for linux/amd64 and linux/arm64")
	}
	dir, manifest := embeddedManifest(t)
	t.Setenv("CGO_ENABLED", "1")
	err := build([]string{"--config", manifest, "--platforms", "all"})
	if err == nil || !strings.Contains(err.Error(), "m.yaml: dist.subprocess_mode: embedded builds embedded") || strings.Contains(err.Error(), "\n") {
		t.Errorf("error = %v, want one line naming the manifest and the field", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); !os.IsNotExist(err) {
		t.Errorf("something was built before the flags were checked: %v", err)
	}
}

// embeddedManifest writes m.yaml, an embedded distribution with one Rust
// processor whose output path is dir/out, and returns dir and its path.
func embeddedManifest(t *testing.T) (dir, manifest string) {
	t.Helper()
	dir = t.TempDir()
	manifest = filepath.Join(dir, "m.yaml")
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
	return dir, manifest
}
