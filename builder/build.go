package builder

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/otelcol-hybrid/otelcol-hybrid/collector/mode"
	"github.com/otelcol-hybrid/otelcol-hybrid/platforms"
)

// Options of one builder run.
type Options struct {
	Manifest   string
	HybridRoot string    // otelcol-hybrid checkout; "" = the manifest's replace, else found upward from the working directory
	Platforms  string    // Rust platforms to embed, as make's PLATFORMS; the host is always added
	OCB        []string  // command running OCB v0.162.0
	Log        io.Writer // progress and tool output
	// RustTargetDir is the cargo target dir ("" = <output>/_hybrid/rust/target).
	// Distributions given one target dir share every compiled dependency:
	// the generated crates' paths are then mapped from the _hybrid directory
	// holding it, so that their RUSTFLAGS are identical.
	RustTargetDir string
}

// Result says what was built and how long each step took.
type Result struct {
	Binary  string
	Mode    mode.Mode
	Steps   []Step
	Catalog []CatalogRow
}

// Step is one timed phase, for the report and for noticing slow builds.
type Step struct {
	Name string
	Took time.Duration
}

// layout is where a distribution's pieces go under dist.output_path. The Go
// module OCB writes is output_path itself (as with plain OCB); our pieces live
// in _hybrid/, which the go tool ignores (leading underscore).
type layout struct {
	out, work, rustCrate, rustOut, rustTarget, hybridCopy, ocbManifest string
}

func newLayout(out string) layout {
	work := filepath.Join(out, "_hybrid")
	return layout{out: out, work: work, rustCrate: filepath.Join(work, "rust"), rustOut: filepath.Join(work, "rust-out"),
		rustTarget: filepath.Join(work, "rust", "target"), hybridCopy: filepath.Join(work, "otelcol-hybrid"),
		ocbManifest: filepath.Join(work, "ocb.yaml")}
}

// Build turns a manifest into a distribution binary at dist.output_path/dist.name.
func Build(o Options) (*Result, error) {
	res := &Result{}
	step := func(name string, f func() error) error {
		// Progress lines only: a failing log writer must not fail the build.
		_, _ = fmt.Fprintf(o.Log, "hybrid-builder: %s\n", name)
		start := time.Now()
		err := f()
		res.Steps = append(res.Steps, Step{name, time.Since(start).Round(100 * time.Millisecond)})
		return err
	}
	m, err := ParseManifestFile(o.Manifest)
	if err != nil {
		return nil, err
	}
	target, ok := targetPlatform()
	if !ok {
		return nil, fmt.Errorf("GOOS/GOARCH %s/%s is not in the platform table (platforms/platforms.go)", os.Getenv("GOOS"), os.Getenv("GOARCH"))
	}
	host, _ := platforms.Host()
	md, err := BuildMode(m.SubprocessMode, os.Getenv("CGO_ENABLED"), target, host)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", m.File, err)
	}
	if md == mode.ModeEmbedded && len(m.Cargo) == 0 {
		if mode.Mode(m.SubprocessMode) == mode.ModeEmbedded {
			return nil, fmt.Errorf("%s: dist.subprocess_mode: embedded: the manifest has no cargo: components to link; use subprocess or auto", m.File)
		}
		md = mode.ModeSubprocess // nothing to link: a pure Go binary
	}
	res.Mode = md
	if md == mode.ModeEmbedded && strings.TrimSpace(o.Platforms) != "" {
		return nil, fmt.Errorf("%s: dist.subprocess_mode: %s builds embedded, which links the Rust components into this one binary and embeds no Rust collectors (--platforms %q); build once per platform, or use subprocess", m.File, orAuto(m.SubprocessMode), o.Platforms)
	}
	out, err := outputDir(m)
	if err != nil {
		return nil, err
	}
	root, err := hybridRoot(o.HybridRoot, m, out)
	if err != nil {
		return nil, err
	}
	l := newLayout(out)
	if o.RustTargetDir != "" {
		if l.rustTarget, err = filepath.Abs(o.RustTargetDir); err != nil {
			return nil, err
		}
	}
	var zig string
	if md == mode.ModeEmbedded {
		if zig, err = zigPath(root); err != nil {
			return nil, fmt.Errorf("%s: dist.subprocess_mode: embedded: %w", m.File, err)
		}
	}
	if err := os.MkdirAll(l.work, 0o755); err != nil {
		return nil, err
	}
	if err := step("copy the otelcol-hybrid library", func() error { return CopyHybridModule(root, l.hybridCopy) }); err != nil {
		return nil, err
	}
	var rust []RustComponent
	var objectSum string
	switch {
	case len(m.Cargo) == 0:
	case md == mode.ModeEmbedded:
		if rust, objectSum, err = buildEmbeddedRust(m, root, l, target, zig, o.Log, step); err != nil {
			return nil, err
		}
	default:
		if rust, err = buildRustHalf(o, m, root, l, target, step); err != nil {
			return nil, err
		}
	}
	if err := WriteRustCatalog(filepath.Join(l.hybridCopy, "collector", "rust_components.json"), rust); err != nil {
		return nil, err
	}
	var tags []string
	var compileEnv []string
	compileArgs := []string{"--config", l.ocbManifest, "--skip-generate", "--skip-get-modules"}
	switch {
	case md == mode.ModeEmbedded:
		// No blob: the Rust half is linked, nothing is extracted.
		tags = []string{"otelcol_embedded"}
		compileEnv = cgoEnv(zig, target)
		compileArgs = append(compileArgs, "--ldflags", embeddedLDFlags(objectSum))
	case len(m.Cargo) > 0:
		tags = []string{"require_blob"} // a binary without its collector must not compile
	}
	ocbYAML, err := m.OCBManifest(OCBOptions{OutputPath: out, HybridDir: l.hybridCopy, BuildTags: tags, CgoEnabled: md == mode.ModeEmbedded})
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(l.ocbManifest, ocbYAML, 0o644); err != nil {
		return nil, err
	}
	if err := step("OCB: generate the Go module and get its modules", func() error {
		return runOCB(o, "--config", l.ocbManifest, "--skip-compilation")
	}); err != nil {
		return nil, fmt.Errorf("%s: %w", m.File, err)
	}
	if err := step("patch main.go to collector.NewCommand (and main_windows.go to collector.NewSvcHandler)", func() error { return patchMainFiles(out) }); err != nil {
		return nil, err
	}
	if err := step("go mod tidy (the patched main imports collector)", func() error {
		return runIn(out, o.Log, nil, "go", "mod", "tidy")
	}); err != nil {
		return nil, err
	}
	compileStep := "OCB: compile"
	if md == mode.ModeEmbedded {
		compileStep = "OCB: compile with cgo (zig cc, glibc " + target.GlibcFloor + "), the Rust object linked"
	}
	if err := step(compileStep, func() error {
		return runOCBEnv(o, compileEnv, compileArgs...)
	}); err != nil {
		return nil, fmt.Errorf("%s: %w", m.File, err)
	}
	res.Binary = filepath.Join(out, m.Dist.Name+target.ExeSuffix())
	if host == target {
		if err := step("check the binary's components against the manifest", func() error {
			res.Catalog, err = CheckCatalog(res.Binary, m, rust)
			return err
		}); err != nil {
			return nil, err
		}
	}
	return res, nil
}

func orAuto(requested string) string {
	if requested == "" {
		return string(mode.ModeAuto)
	}
	return requested
}

// resolveDeps is the manifest's cargo entries plus the bridge crates.
func resolveDeps(m *Manifest, root string) ([]RustDep, error) {
	deps, err := ResolveCargo(m.Cargo, root, []string{filepath.Join(root, "rust", "components")})
	if err != nil {
		return nil, err
	}
	return WithBridgeCrates(deps, root)
}

// remapRoot is the directory mapped to /otelcol-hybrid for the generated
// crates: the _hybrid directory holding the target dir (<output>/_hybrid
// by default), so that every build into one target dir has one RUSTFLAGS.
// For a checkout's rust/target (test-builder's --rust-target-dir) that is the
// checkout, the root `make build` remaps, so those builds share its crates.
func (l layout) remapRoot() string {
	return filepath.Dir(filepath.Dir(l.rustTarget))
}

func buildRustHalf(o Options, m *Manifest, root string, l layout, target platforms.Platform, step func(string, func() error) error) ([]RustComponent, error) {
	var crate *RustCrate
	if err := step("generate the Rust collector crate", func() error {
		deps, err := resolveDeps(m, root)
		if err != nil {
			return err
		}
		if crate, err = WriteRustCrate(l.rustCrate, root, rustVersion(m.Dist.Version), m.File, deps); err != nil {
			return err
		}
		return CheckRustDeps(crate)
	}); err != nil {
		return nil, err
	}
	spec := strings.TrimSpace(o.Platforms + " " + target.String())
	if err := step("cross-build the Rust collector (scripts/rustcross)", func() error {
		return BuildRust(crate, root, spec, l.rustOut, l.rustTarget, l.remapRoot(), o.Log)
	}); err != nil {
		return nil, err
	}
	if err := step("compress and embed (scripts/embedgen)", func() error {
		return Embed(root, l.rustOut, filepath.Join(l.hybridCopy, "embedbin"), crate.Version, o.Log)
	}); err != nil {
		return nil, err
	}
	host, ok := platforms.Host()
	if !ok {
		return nil, fmt.Errorf("the host is not in the platform table: cannot list the Rust components")
	}
	if _, err := os.Stat(filepath.Join(l.rustOut, host.Key())); err != nil {
		return nil, fmt.Errorf("the Rust collector was not built for the host %s (needed to list its components): %w", host, err)
	}
	return RustCatalog(filepath.Join(l.rustOut, host.Key(), "otelcol-rust"+host.ExeSuffix()), crate.Deps)
}

// buildEmbeddedRust generates the collector crate and, in its workspace,
// the FFI crate; builds the FFI object where the distribution's copy of
// embedded/ffi links it; and lists its components. The collector is not
// built: an embedded binary carries no child.
func buildEmbeddedRust(m *Manifest, root string, l layout, target platforms.Platform, zig string, log io.Writer, step func(string, func() error) error) ([]RustComponent, string, error) {
	var deps []RustDep
	var expected []Registration
	if err := step("generate the Rust collector and FFI crates", func() error {
		var err error
		if deps, err = resolveDeps(m, root); err != nil {
			return err
		}
		version := rustVersion(m.Dist.Version)
		crate, err := writeRustCrate(l.rustCrate, root, version, m.File, deps, []string{ffiCrateDir})
		if err != nil {
			return err
		}
		if expected, err = WriteFFICrate(filepath.Join(l.rustCrate, ffiCrateDir), root, version, m.File, deps); err != nil {
			return err
		}
		return CheckRustDeps(crate) // resolves (and locks) both members
	}); err != nil {
		return nil, "", err
	}
	obj := ffiObjectPath(l.hybridCopy, target.GOARCH)
	var sum string
	if err := step("build the Rust static library and its object (scripts/build-embedded.sh)", func() error {
		var err error
		sum, err = BuildFFI(FFIBuild{HybridRoot: root, Workspace: l.rustCrate, TargetDir: l.rustTarget, RemapRoot: l.remapRoot(),
			Object: obj, Target: target, Zig: zig, Deps: deps}, log)
		if err != nil {
			return err
		}
		// embedded/ffi's cgo CFLAGS name the header in the module's rust/,
		// which the copy leaves out.
		h, err := os.ReadFile(filepath.Join(root, ffiHeader))
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(l.hybridCopy, ffiHeader)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(l.hybridCopy, ffiHeader), h, 0o644)
	}); err != nil {
		return nil, "", err
	}
	var comps []RustComponent
	if err := step("list the linked Rust components (a probe linking the object)", func() error {
		var err error
		comps, err = FFICatalog(zig, obj, filepath.Join(l.work, "probe"), target, expected, deps)
		return err
	}); err != nil {
		return nil, "", err
	}
	return comps, sum, nil
}

// outputDir is dist.output_path (default build/<name>), absolute.
func outputDir(m *Manifest) (string, error) {
	if m.Dist.OutputPath == "" {
		return filepath.Abs(filepath.Join("build", m.Dist.Name))
	}
	return filepath.Abs(m.Dist.OutputPath)
}

// hybridRoot picks the otelcol-hybrid checkout the distribution is built from.
func hybridRoot(flag string, m *Manifest, out string) (string, error) {
	if flag != "" {
		return filepath.Abs(flag)
	}
	if r := m.HybridReplace(); r != "" {
		if !filepath.IsAbs(r) {
			r = filepath.Join(out, r) // go.mod replaces are relative to the module: output_path
		}
		return filepath.Clean(r), nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(b), "module "+HybridModule+"\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no otelcol-hybrid checkout found: pass --hybrid-root or add `replaces: [%s => <checkout>]` to the manifest", HybridModule)
		}
		dir = parent
	}
}

func targetPlatform() (platforms.Platform, bool) {
	host, ok := platforms.Host()
	goos, goarch := os.Getenv("GOOS"), os.Getenv("GOARCH")
	if goos == "" && goarch == "" {
		return host, ok
	}
	if goos == "" {
		goos = host.GOOS
	}
	if goarch == "" {
		goarch = host.GOARCH
	}
	return platforms.Lookup(goos, goarch)
}

var semverRe = regexp.MustCompile(`^v?([0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?)$`)

// rustVersion is dist.version as a Cargo version ("" = the workspace's).
func rustVersion(v string) string {
	if m := semverRe.FindStringSubmatch(v); m != nil {
		return m[1]
	}
	return ""
}

// patchMainFiles applies PatchMain to dir/main.go and PatchWindowsMain to
// dir/main_windows.go (OCB writes both).
func patchMainFiles(dir string) error {
	for file, patch := range map[string]func([]byte) ([]byte, error){"main.go": PatchMain, "main_windows.go": PatchWindowsMain} {
		path := filepath.Join(dir, file)
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		patched, err := patch(src)
		if err != nil {
			return err
		}
		if err := os.WriteFile(path, patched, 0o644); err != nil {
			return err
		}
	}
	return nil
}
