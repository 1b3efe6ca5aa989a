package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/otelcol-hybrid/otelcol-hybrid/builder"
)

// embeddedBinary is the embedded distribution `make test-builder` builds
// from examples/embedded-manifest.yaml (HYBRID_EMBEDDED_BIN).
func embeddedBinary(t *testing.T) string {
	bin := os.Getenv("HYBRID_EMBEDDED_BIN")
	if bin == "" {
		t.Skip("HYBRID_EMBEDDED_BIN not set: run `make test-builder`")
	}
	return bin
}

// The builder's embedded distribution says so, and lists the manifest's Rust
// component and the bridges' Rust ends as linked in-process, with the
// in-process bridge ends and the extension running the Rust half.
func TestEmbeddedExampleComponents(t *testing.T) {
	bin := embeddedBinary(t)
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "(Rust components: embedded (linked into this process") {
		t.Errorf("--version: %s", out)
	}
	if out, err = exec.Command(bin, "components").Output(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "rust_mode: embedded (linked into this process") {
		t.Errorf("components does not say embedded:\n%s", out)
	}
	rows, err := builder.ReadCatalog(bin)
	if err != nil {
		t.Fatal(err)
	}
	var rust, inProcess []string
	for _, r := range rows {
		switch {
		case r.Runtime == "rust":
			rust = append(rust, r.Kind+" "+r.Type+" "+r.Module)
		case strings.HasSuffix(r.Module, "(in-process Rust)"):
			inProcess = append(inProcess, r.Kind+" "+r.Type)
		}
	}
	want := []string{
		"exporter otlp_rust otelcol-ffi (linked in-process)",        // bridge: otlp_rust_exporter (added)
		"processor advanced_filter otelcol-ffi (linked in-process)", // cargo: advanced_filter
		"receiver rust_otlp otelcol-ffi (linked in-process)",        // bridge: otlp_receiver (added; native "otlp")
	}
	if strings.Join(rust, "\n") != strings.Join(want, "\n") {
		t.Errorf("Rust components:\n%s\nwant:\n%s", strings.Join(rust, "\n"), strings.Join(want, "\n"))
	}
	if got := strings.Join(inProcess, ", "); got != "exporter ffi_bridge, extension rust_embedded, receiver ffi_bridge" {
		t.Errorf("in-process bridge components: %s", got)
	}
}

// Go otlp receiver → Rust advanced_filter → Go otlp exporter, the Rust
// processor called in-process: data is filtered and delivered, no child
// process runs, and nothing is extracted.
func TestEmbeddedExampleMixedPipeline(t *testing.T) {
	bin := embeddedBinary(t)
	t.Parallel()
	mixedPipeline(t, bin, func(t *testing.T, pid int, runtimeDir, cacheDir, log string) {
		if !strings.Contains(log, "Rust components run in-process (embedded mode)") {
			t.Errorf("the Rust half did not start in-process:\n%s", log)
		}
		if kids := children(t, pid); len(kids) > 0 {
			t.Errorf("the embedded collector runs child processes %v", kids)
		}
		if entries, err := os.ReadDir(cacheDir); err == nil && len(entries) > 0 {
			t.Errorf("the embedded collector extracted into its cache dir: %v", entries)
		}
		if socks, _ := filepath.Glob(filepath.Join(runtimeDir, "*.sock")); len(socks) > 0 {
			t.Errorf("the embedded collector opened bridge sockets: %v", socks)
		}
	})
}

// children are the pids whose parent is pid.
func children(t *testing.T, pid int) []int {
	t.Helper()
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // exited meanwhile
		}
		// pid (comm) state ppid ...: comm may hold spaces, so after the last ')'.
		fields := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(pid) {
			child, _ := strconv.Atoi(filepath.Base(filepath.Dir(f)))
			out = append(out, child)
		}
	}
	return out
}
