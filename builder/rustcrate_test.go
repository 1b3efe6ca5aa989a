package builder

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeHybrid writes the parts of an otelcol-hybrid checkout the crate
// generator reads: the Rust workspace, otelcol-rust, two component crates.
func fakeHybrid(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	write := func(rel, data string) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("rust/Cargo.toml", `[workspace]
members = ["crates/otelcol-core"]

[workspace.package]
version = "0.1.0"
edition = "2024"

[workspace.dependencies]
otelcol-core = { path = "crates/otelcol-core" }
otelcol-fault = { path = "components/fault" }
tokio = { version = "1", features = ["rt"] }

[profile.release]
lto = "thin"
`)
	write("rust/Cargo.lock", "# lock\n")
	write("rust/otelcol-rust/Cargo.toml", "[package]\nname = \"otelcol-rust\"\n\n[dependencies]\notelcol-core.workspace = true\notelcol-fault.workspace = true\ntokio.workspace = true\n\n[dev-dependencies]\ntempfile.workspace = true\n")
	write("rust/otelcol-rust/src/main.rs", "mod cli;\n\n// Linking registers.\nuse otelcol_fault as _;\nuse otelcol_other as _;\n\nuse otelcol_core::registry;\n\nfn main() {}\n")
	write("rust/otelcol-rust/src/cli.rs", "pub fn parse() {}\n")
	write("rust/components/fault/Cargo.toml", "[package]\nname = \"otelcol-fault\"\nversion.workspace = true\n")
	write("rust/components/advanced_filter/Cargo.toml", "[package]\nname = \"otelcol-advanced-filter\"\nversion = \"0.2.1\"\n")
	return root
}

func TestResolveCargo(t *testing.T) {
	root := fakeHybrid(t)
	search := []string{filepath.Join(root, "rust", "components")}
	deps, err := ResolveCargo([]CargoEntry{
		{Where: "processors[0]", Name: "fault", Version: "0.1.0"},
		{Where: "processors[1]", Name: "advanced_filter", Path: filepath.Join(root, "rust/components/advanced_filter")},
		{Where: "exporters[0]", Name: "some_crate", Version: "1.2"},
	}, root, search)
	if err != nil {
		t.Fatal(err)
	}
	if deps[0].Package != "otelcol-fault" || deps[0].Path != filepath.Join(root, "rust/components/fault") {
		t.Errorf("fault resolved to %+v", deps[0])
	}
	if deps[1].Package != "otelcol-advanced-filter" || deps[1].Key != "advanced_filter" {
		t.Errorf("advanced_filter resolved to %+v", deps[1])
	}
	if deps[2].Path != "" || deps[2].Package != "some_crate" {
		t.Errorf("an unknown local crate must come from crates.io: %+v", deps[2])
	}
	for _, tc := range []struct {
		e    CargoEntry
		want string
	}{
		{CargoEntry{Where: "processors[0]", Name: "fault", Version: "0.2.0"}, `processors[0] (cargo: fault): requirement "0.2.0" is not met by the crate we ship: otelcol-fault`},
		{CargoEntry{Where: "processors[0]", Name: "fault", Version: ">=0.2, <1"}, "is version 0.1.0 (versions available: 0.1.0)"},
		{CargoEntry{Where: "exporters[3]", Name: "nope", Path: filepath.Join(root, "nope")}, "exporters[3] (cargo: nope): missing crate: no Cargo.toml in"},
		{CargoEntry{Where: "processors[1]", Name: "advanced_filter", Path: filepath.Join(root, "rust/components/advanced_filter"), Version: "0.1"}, `requirement "0.1" is not met: crate otelcol-advanced-filter at`},
	} {
		if _, err := ResolveCargo([]CargoEntry{tc.e}, root, search); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", tc.e, err, tc.want)
		}
	}
}

func TestWriteRustCrate(t *testing.T) {
	root := fakeHybrid(t)
	deps, err := ResolveCargo([]CargoEntry{
		{Where: "processors[0]", Name: "advanced_filter", Version: "0.2"},
		{Where: "exporters[0]", Name: "some-crate", Version: "1.2"},
	}, root, []string{filepath.Join(root, "rust", "components")})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "rust")
	c, err := WriteRustCrate(dir, root, "", "m.yaml", deps)
	if err != nil {
		t.Fatal(err)
	}
	toml, _ := os.ReadFile(filepath.Join(dir, "Cargo.toml"))
	for _, want := range []string{
		`version = "0.1.0"`,
		`otelcol-core = { path = "` + filepath.Join(root, "rust/crates/otelcol-core") + `" }`,
		`tokio = { version = "1", features = ["rt"] }`,
		`advanced_filter = { package = "otelcol-advanced-filter", path = "` + filepath.Join(root, "rust/components/advanced_filter") + `", version = "0.2" }`,
		`some_crate = { package = "some-crate", version = "1.2" }`,
		"[workspace]\n",
		"[profile.release]\nlto = \"thin\"",
	} {
		if !strings.Contains(string(toml), want) {
			t.Errorf("Cargo.toml lacks %q:\n%s", want, toml)
		}
	}
	if strings.Contains(string(toml), "otelcol-fault") || strings.Contains(string(toml), "tempfile") {
		t.Errorf("otelcol-rust's own components or dev-dependencies leaked in:\n%s", toml)
	}
	main, _ := os.ReadFile(filepath.Join(dir, "src", "main.rs"))
	want := "mod cli;\n\n// Linking registers.\nuse advanced_filter as _;\nuse some_crate as _;\n\nuse otelcol_core::registry;\n\nfn main() {}\n"
	if string(main) != want {
		t.Errorf("main.rs:\n%s\nwant:\n%s", main, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "src", "cli.rs")); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "Cargo.lock")); err != nil {
		t.Error("the workspace lock was not seeded:", err)
	}
	if c.Version != "0.1.0" {
		t.Errorf("version %q", c.Version)
	}
}

func TestVersionMatches(t *testing.T) {
	for _, tc := range []struct {
		req, have string
		ok        bool
	}{
		{"0.1.0", "0.1.0", true}, {"0.1.0", "0.1.5", true}, {"0.1.0", "0.2.0", false},
		{"0.1", "0.1.9", true}, {"1.2", "1.9.0", true}, {"1.2", "2.0.0", false}, {"1.2.3", "1.2.2", false},
		{"=0.1.0", "0.1.1", false}, {"=0.1.0", "0.1.0", true}, {"^0.0.3", "0.0.4", false},
		{"^0", "0.9.9", true}, {"^0.0", "0.1.0", false}, {"1", "1.9.9", true},
		{"~1.2.3", "1.2.9", true}, {"~1.2.3", "1.3.0", false}, {"~1", "1.9.0", true}, {"~0.1", "0.2.0", false},
		{">=0.1, <0.2", "0.1.7", true}, {">=0.1, <0.2", "0.2.0", false}, {">0.1", "0.1.9", false}, {">0.1", "0.2.0", true},
		{"<=0.1", "0.1.9", true}, {"<=0.1.2", "0.1.3", false}, {"<1", "0.162.0", true},
		{"*", "3.4.5", true}, {"0.*", "0.7.0", true}, {"0.1.*", "0.2.0", false}, {"=0.1", "0.1.4", true},
		// A pre-release only matches a requirement naming one of its release.
		{"0.1.0", "0.1.1-dev", false}, {">=0.1.0-dev", "0.1.0-dev", true}, {">=0.1.0-alpha", "0.1.0-beta.2", true},
		{">=0.1.0-beta.2", "0.1.0-beta.11", true}, {">=0.1.0-beta", "0.1.0-alpha", false}, {"^0.1.0-dev", "0.1.0", true},
	} {
		if ok, known := versionMatches(tc.req, tc.have); !known || ok != tc.ok {
			t.Errorf("versionMatches(%q, %q) = %v (known %v), want %v", tc.req, tc.have, ok, known, tc.ok)
		}
	}
	for _, bad := range []string{"", "latest", "1.2.3.4", "*.1", "1.*.3", ">=", "1.2-beta", "=1.*", "1.2.3-"} {
		if _, known := versionMatches(bad, "1.0.0"); known {
			t.Errorf("%q was accepted as a requirement", bad)
		}
	}
}

// The design's manifest names our crates as written, with our release's version.
func TestDesignNamesResolveToTheCratesWeShip(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	ws, err := readToml(filepath.Join(root, "rust", "Cargo.toml"))
	if err != nil {
		t.Fatal(err)
	}
	release := ws.str("[workspace.package]", "version")
	search := []string{filepath.Join(root, "rust", "components")}
	var entries []CargoEntry
	for i, n := range []string{"jaeger_receiver", "advanced_filter", "otap_exporter"} {
		entries = append(entries, CargoEntry{Where: fmt.Sprintf("entries[%d]", i), Name: n, Version: release})
	}
	deps, err := ResolveCargo(entries, root, search)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"otelcol-jaeger-receiver", "otelcol-advanced-filter", "otelcol-otap-exporter"} {
		if deps[i].Package != want || deps[i].Path == "" {
			t.Errorf("%s resolved to %+v, want the local %s", entries[i].Name, deps[i], want)
		}
	}
	entries[0].Version = "0.129.0"
	_, err = ResolveCargo(entries[:1], root, search)
	if err == nil || !strings.Contains(err.Error(), `requirement "0.129.0" is not met`) || !strings.Contains(err.Error(), "versions available: "+release) {
		t.Errorf("an old release's requirement: %v", err)
	}
}

func TestDepNamedIn(t *testing.T) {
	deps := []RustDep{{Entry: CargoEntry{Where: "exporters[0]", Name: "nope"}, Key: "nope"}}
	out := "error: no matching package named `nope` found\nlocation searched: crates.io index\nrequired by package `otelcol-rust v0.1.0`"
	if d, ok := depNamedIn(deps, out); !ok || d.Key != "nope" {
		t.Errorf("depNamedIn = %+v, %v", d, ok)
	}
	// A compile failure names the package, not the manifest's name.
	deps = append(deps, RustDep{Entry: CargoEntry{Where: "processors[1]", Name: "fault"}, Key: "fault", Package: "otelcol-fault"})
	if d, ok := depNamedIn(deps, "error: could not compile `otelcol-fault` (lib) due to 1 previous error"); !ok || d.Entry.Where != "processors[1]" {
		t.Errorf("compile failure attributed to %+v, %v", d, ok)
	}
	if got := lastErrorLine(out); got != "error: no matching package named `nope` found" {
		t.Errorf("lastErrorLine = %q", got)
	}
}

func TestWithoutEnv(t *testing.T) {
	env := []string{"A=1", "SOURCE_DATE_EPOCH=17", "SOURCE_DATE_EPOCHX=2", "B=3"}
	got := withoutEnv(env, "SOURCE_DATE_EPOCH")
	if strings.Join(got, " ") != "A=1 SOURCE_DATE_EPOCHX=2 B=3" || len(env) != 4 {
		t.Errorf("withoutEnv = %v (input now %v)", got, env)
	}
}

// The generated lock follows the workspace lock: kept (with what cargo added
// for crates.io components) while the workspace lock is unchanged, replaced
// when it moves.
func TestSeedLock(t *testing.T) {
	ws := filepath.Join(t.TempDir(), "Cargo.lock")
	dir := t.TempDir()
	lock := filepath.Join(dir, "Cargo.lock")
	write := func(f, s string) {
		t.Helper()
		if err := os.WriteFile(f, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	read := func() string {
		t.Helper()
		b, err := os.ReadFile(lock)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	write(ws, "v1\n")
	if err := SeedLock(ws, dir); err != nil || read() != "v1\n" {
		t.Fatalf("first seed: %v, lock %q", err, read())
	}
	write(lock, "v1\n+ a crates.io component\n") // what cargo metadata adds
	if err := SeedLock(ws, dir); err != nil || read() != "v1\n+ a crates.io component\n" {
		t.Fatalf("unchanged workspace lock: %v, the crate's additions were lost: %q", err, read())
	}
	write(ws, "v2\n")
	if err := SeedLock(ws, dir); err != nil || read() != "v2\n" {
		t.Fatalf("changed workspace lock: %v, the crate kept %q", err, read())
	}
	if err := os.Remove(lock); err != nil {
		t.Fatal(err)
	}
	if err := SeedLock(ws, dir); err != nil || read() != "v2\n" {
		t.Fatalf("deleted lock not reseeded: %v", err)
	}
}
