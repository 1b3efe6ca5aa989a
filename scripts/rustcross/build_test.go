package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otelcol-hybrid/otelcol-hybrid/platforms"
)

func TestStdInstalled(t *testing.T) {
	sysroot := t.TempDir()
	lib := filepath.Join(sysroot, "lib", "rustlib", "x86_64-unknown-linux-gnu", "lib")
	if err := os.MkdirAll(lib, 0o755); err != nil {
		t.Fatal(err)
	}
	b := &builder{sysroot: sysroot}
	amd, _ := platforms.Lookup("linux", "amd64")
	if ok, _ := b.stdInstalled(amd); ok {
		t.Error("an empty rustlib/<target>/lib counted as installed")
	}
	if err := os.WriteFile(filepath.Join(lib, "libstd-x.rlib"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if ok, why := b.stdInstalled(amd); !ok {
		t.Errorf("installed std not found: %s", why)
	}
	arm, _ := platforms.Lookup("linux", "arm64")
	ok, why := b.stdInstalled(arm)
	if ok || !strings.Contains(why, "rustup target add aarch64-unknown-linux-gnu") || strings.Contains(why, "\n") {
		t.Errorf("missing std: ok=%v, want one line naming the fix, got %q", ok, why)
	}
}

// The target dir must be remapped after (so: in preference to) the checkout
// that contains it, or two target dirs would leave two different OUT_DIR paths
// in the binary.
func TestReproducibleEnv(t *testing.T) {
	b := &builder{workspace: "/src/proj/rust", targetDir: "/src/proj/build/repro/target", checkout: "/src/proj"}
	t.Setenv("CARGO_HOME", "/home/u/.cargo")
	var flags string
	for _, kv := range b.reproducibleEnv() {
		if v, ok := strings.CutPrefix(kv, "CARGO_ENCODED_RUSTFLAGS="); ok {
			flags = v
		}
	}
	got := strings.Split(flags, "\x1f")
	want := []string{
		"--remap-path-prefix=/src/proj=/otelcol-hybrid",
		"--remap-path-prefix=/home/u/.cargo=/cargo",
		"--remap-path-prefix=/src/proj/build/repro/target=/target",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("rustflags\n got %q\nwant %q", got, want)
	}

	// A generated workspace outside rust/ also maps the checkout, where its
	// path dependencies (rust/components/…) live.
	b.workspace = "/src/proj/build/dist/rust"
	flags = ""
	for _, kv := range b.reproducibleEnv() {
		if v, ok := strings.CutPrefix(kv, "CARGO_ENCODED_RUSTFLAGS="); ok {
			flags = v
		}
	}
	if got := strings.Split(flags, "\x1f"); len(got) != 4 || got[0] != "--remap-path-prefix=/src/proj=/otelcol-hybrid" ||
		got[1] != "--remap-path-prefix=/src/proj/build/dist=/otelcol-hybrid" {
		t.Errorf("generated workspace rustflags: %q", got)
	}

	// Distributions sharing one target dir share its remap root, wherever
	// their own generated crate is.
	b.remapRoot = "/src/proj/build/other"
	flags = ""
	for _, kv := range b.reproducibleEnv() {
		if v, ok := strings.CutPrefix(kv, "CARGO_ENCODED_RUSTFLAGS="); ok {
			flags = v
		}
	}
	if got := strings.Split(flags, "\x1f"); len(got) != 4 || got[1] != "--remap-path-prefix=/src/proj/build/other=/otelcol-hybrid" {
		t.Errorf("remap root rustflags: %q", got)
	}

	// make build gives the checkout as the remap root (its generated crate
	// lives under it): the blob's flags are then exactly those of a build
	// of rust/ itself, so the two and the static library share rust/target.
	b = &builder{workspace: "/src/proj/build/otelcol-hybrid/rust", targetDir: "/src/proj/rust/target", checkout: "/src/proj", remapRoot: "/src/proj"}
	ws := &builder{workspace: "/src/proj/rust", targetDir: "/src/proj/rust/target", checkout: "/src/proj"}
	if got, want := b.reproducibleEnv(), ws.reproducibleEnv(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("generated crate with the checkout as remap root:\n got %q\nwant %q", got, want)
	}
}
