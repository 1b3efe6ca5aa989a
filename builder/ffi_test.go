package builder

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/otelcol-hybrid/otelcol-hybrid/platforms"
)

// The FFI crate is generated from this checkout's otelcol-ffi: a change of
// its lib.rs or service.rs shape fails here, not in a distribution build.
func TestWriteFFICrate(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	deps, err := ResolveCargo([]CargoEntry{{Where: "processors[0]", Name: "advanced_filter", Version: "0.1"}},
		root, []string{filepath.Join(root, "rust", "components")})
	if err != nil {
		t.Fatal(err)
	}
	if deps, err = WithBridgeCrates(deps, root); err != nil {
		t.Fatal(err)
	}
	ws := filepath.Join(t.TempDir(), "rust")
	if _, err := writeRustCrate(ws, root, "", "m.yaml", deps, []string{ffiCrateDir}); err != nil {
		t.Fatal(err)
	}
	wsToml, _ := os.ReadFile(filepath.Join(ws, "Cargo.toml"))
	if !strings.Contains(string(wsToml), "[workspace]\nmembers = [\"ffi\"]\n") {
		t.Errorf("the collector crate's workspace does not hold the FFI crate:\n%s", wsToml)
	}
	dir := filepath.Join(ws, ffiCrateDir)
	expected, err := WriteFFICrate(dir, root, "", "m.yaml", deps)
	if err != nil {
		t.Fatal(err)
	}

	toml, _ := os.ReadFile(filepath.Join(dir, "Cargo.toml"))
	for _, want := range []string{
		"name = \"otelcol-ffi\"\n", // so the library is libotelcol_ffi.a, as scripts/ffi-object.sh links it
		"crate-type = [\"staticlib\"]",
		`otelcol-core = { path = "` + filepath.Join(root, "rust/crates/otelcol-core") + `" }`,
		`advanced_filter = { package = "otelcol-advanced-filter", path = "` + filepath.Join(root, "rust/components/advanced_filter") + `", version = "0.1" }`,
		`otlp_receiver = { package = "otelcol-otlp-receiver", path = "` + filepath.Join(root, "rust/components/otlp_receiver") + `" }`,
		"\ntokio = ",
	} {
		if !strings.Contains(string(toml), want) {
			t.Errorf("Cargo.toml lacks %q:\n%s", want, toml)
		}
	}
	for _, absent := range []string{"otelcol-fault", "otelcol-otap-exporter", "otelcol-jaeger-receiver", "[workspace]", "[profile."} {
		if strings.Contains(string(toml), absent) {
			t.Errorf("Cargo.toml has %q: the checkout's own components or workspace settings leaked in:\n%s", absent, toml)
		}
	}

	lib, _ := os.ReadFile(filepath.Join(dir, "src", "lib.rs"))
	var uses []string
	for _, l := range strings.Split(string(lib), "\n") {
		if useLineRe.MatchString(l) {
			uses = append(uses, strings.TrimSpace(l))
		}
	}
	want := []string{"use advanced_filter as _;", "use otlp_receiver as _;", "use otlp_rust_exporter as _;"}
	if !slices.Equal(uses, want) {
		t.Errorf("lib.rs links %q, want %q", uses, want)
	}

	wantLinked := []Registration{
		{"exporter", "ffi_bridge"}, {"exporter", "otlp_rust"},
		{"processor", "advanced_filter"},
		{"receiver", "ffi_bridge"}, {"receiver", "otlp"},
	}
	if !slices.Equal(expected, wantLinked) {
		t.Errorf("expected registrations %v, want %v", expected, wantLinked)
	}
	service, _ := os.ReadFile(filepath.Join(dir, "src", "service.rs"))
	table := linkedTableRe.FindSubmatch(service)
	if table == nil {
		t.Fatalf("service.rs has no LINKED table:\n%s", service)
	}
	rows := "    (\"exporter\", \"ffi_bridge\"),\n    (\"exporter\", \"otlp_rust\"),\n    (\"processor\", \"advanced_filter\"),\n" +
		"    (\"receiver\", \"ffi_bridge\"),\n    (\"receiver\", \"otlp\"),\n"
	if string(table[2]) != rows {
		t.Errorf("LINKED rows:\n%s\nwant:\n%s", table[2], rows)
	}

	// Every other source is otelcol-ffi's, unchanged.
	srcs, _ := filepath.Glob(filepath.Join(root, ffiCrate, "src", "*.rs"))
	for _, s := range srcs {
		name := filepath.Base(s)
		got, err := os.ReadFile(filepath.Join(dir, "src", name))
		if err != nil {
			t.Errorf("%s was not copied: %v", name, err)
			continue
		}
		if name == "lib.rs" || name == "service.rs" {
			continue
		}
		if orig, _ := os.ReadFile(s); string(orig) != string(got) {
			t.Errorf("%s differs from otelcol-ffi's", name)
		}
	}
}

func TestExpectLinkedRefusesAnotherShape(t *testing.T) {
	_, err := expectLinked([]byte("static LINKED: [(&str, &str); 1] = [(\"receiver\", \"otlp\")];\n"), nil)
	if err == nil || !strings.Contains(err.Error(), "changed shape") {
		t.Errorf("error = %v, want one saying service.rs changed shape", err)
	}
}

func TestRegistrations(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "src", "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	src := "otelcol_core::register!(receiver A = \"a\", [Traces], create);\n" +
		"otelcol_core::register!(\n    exporter B_EXP = \"b\",\n    [Logs],\n    create\n);\n"
	if err := os.WriteFile(filepath.Join(dir, "src", "sub", "x.rs"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	got := Registrations(dir)
	if want := []Registration{{"receiver", "a"}, {"exporter", "b"}}; !slices.Equal(got, want) {
		t.Errorf("Registrations = %v, want %v", got, want)
	}
}

// The object goes where the copied module's embedded/ffi links it.
func TestFFIObjectPathIsWhereEmbeddedFFILinks(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "embedded", "ffi", "ffi.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, arch := range []string{"amd64", "arm64"} {
		m := regexp.MustCompile(`#cgo ` + arch + ` LDFLAGS: \$\{SRCDIR\}/\.\./\.\./(\S+)`).FindSubmatch(src)
		if m == nil {
			t.Fatalf("embedded/ffi/ffi.go has no #cgo %s LDFLAGS naming the object", arch)
		}
		if got, want := ffiObjectPath("/m", arch), filepath.Join("/m", string(m[1])); got != want {
			t.Errorf("ffiObjectPath(%s) = %s, embedded/ffi links %s", arch, got, want)
		}
	}
}

func TestEmbeddedCompileSettings(t *testing.T) {
	p, _ := platforms.Lookup("linux", "arm64")
	env := strings.Join(cgoEnv("/z/zig", p), " ")
	for _, want := range []string{"CGO_ENABLED=1", "CC=/z/zig cc -target aarch64-linux-gnu.2.17", "CGO_LDFLAGS=-g -O2 -lunwind"} {
		if !strings.Contains(env, want) {
			t.Errorf("compile env %q lacks %q", env, want)
		}
	}
	if got := embeddedLDFlags("abc"); got != "-s -w -extldflags=-Wl,--strip-all -X="+HybridModule+"/embedded/ffi.LinkedObject=abc" {
		t.Errorf("ldflags %q", got)
	}
	m, err := ParseManifest("m.yaml", []byte("dist:\n  name: x\n  subprocess_mode: embedded\nprocessors:\n  - cargo: advanced_filter = \"0.1.0\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := m.OCBManifest(OCBOptions{OutputPath: "/o", HybridDir: "/h", BuildTags: []string{"otelcol_embedded"}, CgoEnabled: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"cgo_enabled: true\n", "build_tags: otelcol_embedded\n"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("OCB manifest lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "require_blob") || strings.Contains(string(out), "subprocess_mode") {
		t.Errorf("OCB manifest of an embedded build:\n%s", out)
	}
}

// A distribution built into a checkout's rust/target is remapped from the
// checkout, as `make build` remaps the blob and the static library built
// there (rustcross -remap-root, build-embedded.sh's default): one set of
// RUSTFLAGS, so test-builder compiles none of the crates make build did.
func TestRemapRootOfASharedTargetDir(t *testing.T) {
	if got := (layout{rustTarget: "/src/proj/rust/target"}).remapRoot(); got != "/src/proj" {
		t.Errorf("remap root for /src/proj/rust/target: %q, want the checkout", got)
	}
	if got := newLayout("/out/dist").remapRoot(); got != "/out/dist/_hybrid" {
		t.Errorf("remap root of a distribution's own target dir: %q", got)
	}
}
