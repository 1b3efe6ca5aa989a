package builder

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// RustCrate is the generated collector crate: otelcol-rust's main with
// exactly the manifest's component crates linked (linkme registers a
// component when its crate is linked, so the `use <crate> as _;` lines are
// the whole component list).
type RustCrate struct {
	Dir     string // build/<dist>/_hybrid/rust: Cargo.toml, Cargo.lock, src/
	Version string
	Deps    []RustDep
}

// RustDep is one resolved cargo entry.
type RustDep struct {
	Entry   CargoEntry
	Key     string // dependency key in Cargo.toml = the `use` name
	Package string // package name
	Path    string // absolute crate dir, "" for crates.io
}

// The workspace we generate from: rust/Cargo.toml and the otelcol-rust binary crate.
const (
	rustWorkspace = "rust"
	rustBinCrate  = "rust/otelcol-rust"
)

// useLineRe matches otelcol-rust's component links (`use otelcol_fault as _;`).
var useLineRe = regexp.MustCompile(`^use [a-z0-9_]+ as _;\s*$`)

// ResolveCargo finds each cargo entry's crate: a path entry must hold a
// Cargo.toml; a version entry is looked up among the component crates we
// ship (searchDirs, each holding one crate per directory) by crate name,
// `otelcol-<name>` or directory, its requirement checked with Cargo's rules,
// and otherwise taken from crates.io.
//
// Our component crates are versioned with the otelcol-hybrid release
// (`[workspace.package] version` in rust/Cargo.toml), the way the
// collector's Go components follow the collector's release: a manifest asks
// for `advanced_filter = "0.1"` to get the components of release 0.1.x.
func ResolveCargo(entries []CargoEntry, hybridRoot string, searchDirs []string) ([]RustDep, error) {
	ws, err := readToml(filepath.Join(hybridRoot, rustWorkspace, "Cargo.toml"))
	if err != nil {
		return nil, fmt.Errorf("rust workspace: %w", err)
	}
	wsVersion := ws.str("[workspace.package]", "version")
	local, err := localCrates(searchDirs, wsVersion)
	if err != nil {
		return nil, err
	}
	var deps []RustDep
	for _, e := range entries {
		d := RustDep{Entry: e, Key: RustIdent(e.Name)}
		switch {
		case e.Path != "":
			abs, err := filepath.Abs(e.Path)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", e.Label(), err)
			}
			name, version, err := crateInfo(filepath.Join(abs, "Cargo.toml"), wsVersion)
			if err != nil {
				return nil, fmt.Errorf("%s: missing crate: no Cargo.toml in %s", e.Label(), e.Path)
			}
			if e.Version != "" {
				if ok, known := versionMatches(e.Version, version); known && !ok {
					return nil, fmt.Errorf("%s: requirement %q is not met: crate %s at %s is version %s (versions available: %s)", e.Label(), e.Version, name, e.Path, version, version)
				}
			}
			d.Package, d.Path = name, abs
		default:
			c, ok := findLocal(local, e.Name)
			if !ok {
				d.Package = e.Name // crates.io; cargo metadata reports it if it does not exist
				break
			}
			if ok, known := versionMatches(e.Version, c.version); known && !ok {
				return nil, fmt.Errorf("%s: requirement %q is not met by the crate we ship: %s (%s) is version %s (versions available: %s)", e.Label(), e.Version, c.name, c.dir, c.version, c.version)
			}
			d.Package, d.Path = c.name, c.dir
		}
		deps = append(deps, d)
	}
	return deps, nil
}

// bridgeCrates are the Rust ends of the bridges (the partitioner needs
// them whenever a pipeline crosses runtimes): added when a manifest leaves
// them out, like the two Go extensions.
var bridgeCrates = []struct{ name, pkg string }{
	{"otlp_receiver", "otelcol-otlp-receiver"},
	{"otlp_rust_exporter", "otelcol-otlp-rust-exporter"},
}

// WithBridgeCrates returns deps plus the bridge crates they lack, taken
// from the checkout's rust/components.
func WithBridgeCrates(deps []RustDep, hybridRoot string) ([]RustDep, error) {
	local, err := localCrates([]string{filepath.Join(hybridRoot, "rust", "components")}, "")
	if err != nil {
		return nil, err
	}
next:
	for _, b := range bridgeCrates {
		for _, d := range deps {
			if d.Package == b.pkg {
				continue next
			}
		}
		c, ok := findLocal(local, b.name)
		if !ok {
			return nil, fmt.Errorf("bridge crate %s not found in %s/rust/components", b.pkg, hybridRoot)
		}
		deps = append(deps, RustDep{Entry: CargoEntry{Where: "(added by the builder: bridge)", Name: b.name, Path: c.dir},
			Key: b.name, Package: c.name, Path: c.dir})
	}
	return deps, nil
}

type localCrate struct{ name, version, dir string }

func localCrates(dirs []string, wsVersion string) ([]localCrate, error) {
	var out []localCrate
	for _, dir := range dirs {
		tomls, _ := filepath.Glob(filepath.Join(dir, "*", "Cargo.toml"))
		for _, t := range tomls {
			name, version, err := crateInfo(t, wsVersion)
			if err != nil {
				return nil, err
			}
			abs, err := filepath.Abs(filepath.Dir(t))
			if err != nil {
				return nil, err
			}
			out = append(out, localCrate{name, version, abs})
		}
	}
	return out, nil
}

// findLocal matches a manifest name to a local crate by package name, by our
// naming scheme (advanced_filter → otelcol-advanced-filter) or by directory.
func findLocal(local []localCrate, name string) (localCrate, bool) {
	dashed := strings.ReplaceAll(name, "_", "-")
	for _, want := range []func(localCrate) bool{
		func(c localCrate) bool { return c.name == name || c.name == dashed },
		func(c localCrate) bool { return c.name == "otelcol-"+dashed },
		func(c localCrate) bool { return filepath.Base(c.dir) == name },
	} {
		for _, c := range local {
			if want(c) {
				return c, true
			}
		}
	}
	return localCrate{}, false
}

// WriteRustCrate generates the collector crate in dir from otelcol-rust's
// sources: same main, same dependencies and release profile, our components.
func WriteRustCrate(dir, hybridRoot, version, manifestFile string, deps []RustDep) (*RustCrate, error) {
	return writeRustCrate(dir, hybridRoot, version, manifestFile, deps, nil)
}

// writeRustCrate is WriteRustCrate with the workspace's other members
// (directories under dir: the FFI crate of an embedded distribution), which
// then share its Cargo.lock, profiles and target dir.
func writeRustCrate(dir, hybridRoot, version, manifestFile string, deps []RustDep, members []string) (*RustCrate, error) {
	from, err := readCargoSource(hybridRoot, rustBinCrate)
	if err != nil {
		return nil, err
	}
	ws, wsDir := from.ws, from.wsDir
	var b strings.Builder
	version = from.writePackage(&b, "otelcol-rust", version, manifestFile,
		"The otelcol-rust collector of this distribution: exactly its cargo components.")
	b.WriteString("publish = false\n\n[[bin]]\nname = \"otelcol-rust\"\npath = \"src/main.rs\"\n\n")
	if err := writeDependencies(&b, ws, wsDir, from.crate, "otelcol-rust", deps); err != nil {
		return nil, err
	}
	// Its own workspace, so it never joins an enclosing one; the release
	// profile only applies from a workspace root, so it is copied.
	b.WriteString("\n[workspace]\n")
	if len(members) > 0 {
		fmt.Fprintf(&b, "members = [%s]\n", quotedList(members))
	}
	for _, sec := range ws.order {
		if strings.HasPrefix(sec, "[profile.") {
			fmt.Fprintf(&b, "\n%s\n%s\n", sec, strings.TrimRight(strings.Join(ws.sections[sec], "\n"), "\n"))
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "src"), 0o755); err != nil {
		return nil, err
	}
	if err := writeIfChanged(filepath.Join(dir, "Cargo.toml"), []byte(b.String())); err != nil {
		return nil, err
	}
	if err := writeRustSources(filepath.Join(hybridRoot, rustBinCrate, "src"), filepath.Join(dir, "src"), deps); err != nil {
		return nil, err
	}
	if err := SeedLock(filepath.Join(wsDir, "Cargo.lock"), dir); err != nil {
		return nil, err
	}
	return &RustCrate{Dir: dir, Version: version, Deps: deps}, nil
}

// writeDependencies writes the [dependencies] of a generated crate: those of
// the crate it is generated from (owner's Cargo.toml, crate), their
// workspace specs resolved with absolute paths and its component crates left
// out, then the manifest's cargo entries.
func writeDependencies(b *strings.Builder, ws *tomlDoc, wsDir string, crate *tomlDoc, owner string, deps []RustDep) error {
	b.WriteString("[dependencies]\n")
	base := map[string]bool{}
	for _, k := range crate.keys("[dependencies]") {
		spec := ws.value("[workspace.dependencies]", k)
		if spec == "" {
			return fmt.Errorf("%s dependency %s is not in [workspace.dependencies]", owner, k)
		}
		p := tomlPathRe.FindStringSubmatch(spec)
		if p != nil && strings.HasPrefix(p[1], "components/") {
			continue // a component crate of the checkout's build: ours come from the manifest
		}
		if p != nil {
			spec = strings.Replace(spec, p[0], fmt.Sprintf("path = %q", filepath.Join(wsDir, p[1])), 1)
		}
		base[k], base[RustIdent(k)] = true, true
		fmt.Fprintf(b, "%s = %s\n", k, spec)
	}
	b.WriteString("\n# The manifest's cargo entries.\n")
	for _, d := range deps {
		if base[d.Key] {
			return fmt.Errorf("%s: the name %s is taken by %s's own dependency", d.Entry.Label(), d.Key, owner)
		}
		var fields []string
		if d.Package != "" && d.Package != d.Key {
			fields = append(fields, fmt.Sprintf("package = %q", d.Package))
		}
		if d.Path != "" {
			fields = append(fields, fmt.Sprintf("path = %q", d.Path))
		}
		if d.Entry.Version != "" {
			fields = append(fields, fmt.Sprintf("version = %q", d.Entry.Version))
		}
		fmt.Fprintf(b, "%s = { %s }\n", d.Key, strings.Join(fields, ", "))
	}
	return nil
}

func quotedList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// lockSeedStamp records which workspace lock the crate's lock was seeded from.
const lockSeedStamp = ".workspace-lock.sha256"

// SeedLock copies the workspace lock into the generated crate dir when the
// crate has none or the workspace lock changed since it was seeded. The
// workspace lock pins every shared dependency; cargo only adds what a
// crates.io component brings (`cargo metadata` in CheckRustDeps), and those
// additions stay until the workspace lock moves. A lock seeded once and kept
// would drift from rust/Cargo.lock: the collector would ship dependency
// versions the workspace never tested, and its build would share no compiled
// dependency with rust/otelcol-ffi's in the same target dir.
func SeedLock(wsLock, dir string) error {
	lock, err := os.ReadFile(wsLock)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	sum := fmt.Sprintf("%x\n", sha256.Sum256(lock))
	stamp := filepath.Join(dir, lockSeedStamp)
	if old, err := os.ReadFile(stamp); err == nil && string(old) == sum {
		if _, err := os.Stat(filepath.Join(dir, "Cargo.lock")); err == nil {
			return nil
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "Cargo.lock"), lock, 0o644); err != nil {
		return err
	}
	return os.WriteFile(stamp, []byte(sum), 0o644)
}

// writeRustSources copies otelcol-rust's src/*.rs, replacing main.rs's block
// of `use <component> as _;` lines with the manifest's crates.
func writeRustSources(src, dst string, deps []RustDep) error {
	files, err := filepath.Glob(filepath.Join(src, "*.rs"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("otelcol-rust sources not found in %s", src)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if filepath.Base(f) == "main.rs" {
			if data, err = linkComponents(data, deps); err != nil {
				return fmt.Errorf("%s: %w", f, err)
			}
		}
		if err := writeIfChanged(filepath.Join(dst, filepath.Base(f)), data); err != nil {
			return err
		}
	}
	return nil
}

func linkComponents(main []byte, deps []RustDep) ([]byte, error) {
	var uses []string
	for _, d := range deps {
		uses = append(uses, fmt.Sprintf("use %s as _;", RustIdent(d.Key)))
	}
	sort.Strings(uses)
	lines := strings.Split(string(main), "\n")
	var out []string
	replaced := false
	for _, l := range lines {
		if !useLineRe.MatchString(l) {
			out = append(out, l)
			continue
		}
		if !replaced {
			out = append(out, uses...)
			replaced = true
		}
	}
	if !replaced {
		return nil, fmt.Errorf("no `use <component> as _;` lines to replace: otelcol-rust's main changed shape; update builder/rustcrate.go")
	}
	return []byte(strings.Join(out, "\n")), nil
}

// writeIfChanged keeps mtimes (and so cargo's and make's freshness) of
// unchanged files.
func writeIfChanged(file string, data []byte) error {
	if old, err := os.ReadFile(file); err == nil && string(old) == string(data) {
		return nil
	}
	return os.WriteFile(file, data, 0o644)
}
