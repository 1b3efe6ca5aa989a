package builder

import (
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

const validManifest = `
dist:
  name: otelcol-test
  output_path: build/test
  subprocess_mode: auto
receivers:
  - gomod: go.opentelemetry.io/collector/receiver/otlpreceiver v0.162.0
processors:
  - cargo: advanced_filter = "0.1.0"
  - gomod: go.opentelemetry.io/collector/processor/batchprocessor v0.162.0
exporters:
  - cargo: otlp_rust_exporter
    path: rust/components/otlp_rust_exporter
  - gomod: go.opentelemetry.io/collector/exporter/debugexporter v0.162.0
providers:
  - gomod: go.opentelemetry.io/collector/confmap/provider/fileprovider v1.68.0
replaces:
  - github.com/otelcol-hybrid/otelcol-hybrid => ../..
  - example.com/x => ./x
excludes:
  - example.com/y v1.0.0
`

func TestParseManifest(t *testing.T) {
	m, err := ParseManifest("m.yaml", []byte(validManifest))
	if err != nil {
		t.Fatal(err)
	}
	if m.Dist.Name != "otelcol-test" || m.SubprocessMode != "auto" || m.Dist.OutputPath != "build/test" {
		t.Errorf("dist = %+v, mode %q", m.Dist, m.SubprocessMode)
	}
	want := []CargoEntry{
		{Where: "processors[0]", Kind: "processor", Name: "advanced_filter", Version: "0.1.0"},
		{Where: "exporters[0]", Kind: "exporter", Name: "otlp_rust_exporter", Path: "rust/components/otlp_rust_exporter"},
	}
	if len(m.Cargo) != 2 || m.Cargo[0] != want[0] || m.Cargo[1] != want[1] {
		t.Errorf("cargo entries = %+v, want %+v", m.Cargo, want)
	}
	var kinds []string
	for _, g := range m.Go {
		kinds = append(kinds, g.Where+":"+g.Kind)
	}
	if got := strings.Join(kinds, " "); got != "receivers[0]:receiver processors[1]:processor exporters[1]:exporter providers[0]:" {
		t.Errorf("go entries = %s", got)
	}
	if m.HybridReplace() != "../.." {
		t.Errorf("HybridReplace = %q", m.HybridReplace())
	}
}

// Every error names the file, the line and the entry, on one line.
func TestParseManifestErrors(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown top-level", "dist: {name: a}\nrecievers: []\n", `m.yaml:2: recievers: unknown top-level field`}, //nolint:misspell // the typo is the input under test
		{"unknown dist field", "dist: {name: a, subprocess: auto}\n", `m.yaml:1: dist: unknown field "subprocess"`},
		{"bad mode", "dist: {name: a, subprocess_mode: ffi}\n", `dist.subprocess_mode: "ffi" is not one of auto, embedded, subprocess`},
		{"unknown module field", "dist: {name: a}\nreceivers:\n  - gomod: x v1\n    imprt: y\n", `m.yaml:4: receivers[0]: unknown field "imprt"`},
		{"unknown cargo field", "dist: {name: a}\nprocessors:\n  - cargo: f = \"0.1.0\"\n    gomod: x v1\n", `processors[0]: unknown field "gomod" (want one of cargo, path, version)`},
		{"cargo without version or path", "dist: {name: a}\nprocessors:\n  - cargo: fault\n", `processors[0]: cargo: fault: needs a version`},
		{"cargo bad spec", "dist: {name: a}\nprocessors:\n  - cargo: fault 0.1\n", `processors[0]: cargo: "fault 0.1": want`},
		{"cargo extension", "dist: {name: a}\nextensions:\n  - cargo: x = \"1.0.0\"\n", `extensions[0]: cargo: x = "1.0.0": Rust components can be receivers, processors or exporters`},
		{"cargo provider", "dist: {name: a}\nproviders:\n  - cargo: x = \"1.0.0\"\n", `providers[0]: cargo: x = "1.0.0": Rust components`},
		{"missing gomod", "dist: {name: a}\nexporters:\n  - import: x\n", `exporters[0]: gomod is required`},
		{"duplicate crate", "dist: {name: a}\nprocessors:\n  - cargo: fault = \"0.1.0\"\nexporters:\n  - cargo: fault\n    path: p\n", `exporters[0] (cargo: fault): crate already listed by processors[0] (cargo: fault)`},
		{"duplicate go", "dist: {name: a}\nexporters:\n  - gomod: x/y v1\n  - gomod: x/y v1\n", `exporters[1] (gomod: x/y v1): package x/y already listed by exporters[0]`},
		{"no name", "dist: {output_path: x}\n", `dist.name is required`},
		{"not a list", "dist: {name: a}\nreceivers: {gomod: x}\n", `receivers: must be a list`},
		{"bad version", "dist: {name: a}\nprocessors:\n  - cargo: fault = \"latest\"\n", `processors[0]: cargo: fault: "latest" is not a Cargo version requirement`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseManifest("m.yaml", []byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error = %v\nwant one line containing %q", err, tc.want)
			}
		})
	}
}

func TestOCBManifest(t *testing.T) {
	m, err := ParseManifest("m.yaml", []byte(validManifest))
	if err != nil {
		t.Fatal(err)
	}
	out, err := m.OCBManifest(OCBOptions{OutputPath: "/out", HybridDir: "/out/_hybrid/otelcol-hybrid", BuildTags: []string{"require_blob"}})
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Dist       map[string]any
		Receivers  []map[string]string
		Processors []map[string]string
		Exporters  []map[string]string
		Extensions []map[string]string
		Providers  []map[string]string
		Replaces   []string
		Excludes   []string
	}
	dec := yaml.NewDecoder(strings.NewReader(string(out)))
	dec.KnownFields(true)
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if _, ok := got.Dist["subprocess_mode"]; ok || got.Dist["output_path"] != "/out" || got.Dist["build_tags"] != "require_blob" {
		t.Errorf("dist = %v", got.Dist)
	}
	for _, list := range [][]map[string]string{got.Processors, got.Exporters} {
		for _, e := range list {
			if e["cargo"] != "" {
				t.Errorf("cargo entry left for OCB: %v", e)
			}
		}
	}
	if len(got.Processors) != 2 || got.Processors[1]["import"] != HybridModule+"/processor/bridgecancel" {
		t.Errorf("processors = %v, want the user's then bridgecancel", got.Processors)
	}
	// The manifest lists the otlp receiver (the Rust → Go end) but not the
	// otlp exporter (Go → Rust): the builder adds it at the manifest's version.
	if len(got.Exporters) != 2 || got.Exporters[1]["gomod"] != "go.opentelemetry.io/collector/exporter/otlpexporter v0.162.0" {
		t.Errorf("exporters = %v, want the user's then the otlp exporter", got.Exporters)
	}
	if len(got.Receivers) != 1 || len(got.Providers) != 1 {
		t.Errorf("entries: %s", out)
	}
	if len(got.Extensions) != 2 || got.Extensions[0]["import"] != HybridModule+"/extension/subprocessext" {
		t.Errorf("extensions = %v", got.Extensions)
	}
	wantReplaces := []string{"example.com/x => ./x", HybridModule + " => /out/_hybrid/otelcol-hybrid"}
	if strings.Join(got.Replaces, "|") != strings.Join(wantReplaces, "|") {
		t.Errorf("replaces = %q, want %q", got.Replaces, wantReplaces)
	}
	if len(got.Excludes) != 1 {
		t.Errorf("excludes = %v", got.Excludes)
	}
	// Listed components are not added twice; missing lists are created.
	m2, err := ParseManifest("m.yaml", []byte("dist: {name: a}\nextensions:\n  - gomod: "+HybridModule+" v0.0.0\n    import: "+HybridModule+"/extension/bridgectxext\n"))
	if err != nil {
		t.Fatal(err)
	}
	out2, err := m2.OCBManifest(OCBOptions{OutputPath: "/o", HybridDir: "/h"})
	if err != nil {
		t.Fatal(err)
	}
	for _, pkg := range []string{"bridgectxext", "subprocessext", "bridgecancel"} {
		if n := strings.Count(string(out2), pkg); n != 1 {
			t.Errorf("%s listed %d times:\n%s", pkg, n, out2)
		}
	}
	// Without Rust components there is no bridge, so no bridge ends.
	if strings.Contains(string(out2), "otlpreceiver") || strings.Contains(string(out2), "otlpexporter") {
		t.Errorf("bridge ends added to a manifest without cargo entries:\n%s", out2)
	}
}

func TestExampleManifests(t *testing.T) {
	for _, f := range []string{"../examples/builder-config.yaml", "../cmd/otelcol-hybrid/builder-config.yaml"} {
		m, err := ParseManifestFile(f)
		if err != nil {
			t.Fatal(err)
		}
		goComps := 0
		for _, g := range m.Go {
			if g.Kind != "" && g.Kind != "extension" {
				goComps++
			}
		}
		if goComps < 2 || len(m.Cargo) < 2 || m.SubprocessMode != "auto" {
			t.Errorf("%s: %d Go and %d Rust components, mode %q: want >= 2 each and auto", f, goComps, len(m.Cargo), m.SubprocessMode)
		}
	}
	if _, err := os.Stat("../examples/builder-config.yaml"); err != nil {
		t.Fatal(err)
	}
}
