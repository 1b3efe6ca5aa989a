package builder

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/otelcol-hybrid/otelcol-hybrid/platforms"
)

// ocbSources are the files OCB generates for the main package.
var ocbSources = []string{"main.go", "main_others.go", "main_windows.go", "components.go"}

// GenerateOptions configure in-tree generation, for otelcol-hybrid itself, whose
// sources live in the repository (cmd/otelcol-hybrid) and are built by the
// Makefile and GoReleaser from there. Same manifest parsing, OCB templates,
// main.go patch and Rust crate generation as Build: one path.
type GenerateOptions struct {
	Options
	GoOut   string // directory receiving main.go, components.go, …
	RustOut string // directory receiving the generated otelcol-rust crate
	Check   bool   // compare with what is there instead of writing
}

// Generate writes (or, with Check, verifies) the distribution's Go main
// package and Rust crate sources without compiling anything.
func Generate(o GenerateOptions) error {
	m, err := ParseManifestFile(o.Manifest)
	if err != nil {
		return err
	}
	// The sources are the same in either mode (the repository builds both
	// flavours from them); the field is checked as a build of the host would.
	host, _ := platforms.Host()
	if _, err := BuildMode(m.SubprocessMode, os.Getenv("CGO_ENABLED"), host, host); err != nil {
		return fmt.Errorf("%s: %w", m.File, err)
	}
	out, err := outputDir(m)
	if err != nil {
		return err
	}
	root, err := hybridRoot(o.HybridRoot, m, out)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "hybrid-builder-generate-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(tmp) }()
	ocbYAML, err := m.OCBManifest(OCBOptions{OutputPath: filepath.Join(tmp, "go"), HybridDir: root})
	if err != nil {
		return err
	}
	manifest := filepath.Join(tmp, "ocb.yaml")
	if err := os.WriteFile(manifest, ocbYAML, 0o644); err != nil {
		return err
	}
	if err := runOCB(o.Options, "--config", manifest, "--skip-compilation", "--skip-get-modules"); err != nil {
		return fmt.Errorf("%s: %w", m.File, err)
	}
	if err := patchMainFiles(filepath.Join(tmp, "go")); err != nil {
		return err
	}
	deps, err := ResolveCargo(m.Cargo, root, []string{filepath.Join(root, "rust", "components")})
	if err != nil {
		return err
	}
	if deps, err = WithBridgeCrates(deps, root); err != nil {
		return err
	}
	rustDir := filepath.Join(tmp, "rust")
	if _, err := WriteRustCrate(rustDir, root, rustVersion(m.Dist.Version), m.File, deps); err != nil {
		return err
	}
	// The crate is build output (absolute paths, gitignored): always written.
	// The Go sources are committed: written, or compared with --check.
	rustFiles, _ := filepath.Glob(filepath.Join(rustDir, "src", "*.rs"))
	crate := map[string]string{}
	for _, f := range append(rustFiles, filepath.Join(rustDir, "Cargo.toml")) {
		rel, _ := filepath.Rel(rustDir, f)
		crate[filepath.Join(o.RustOut, rel)] = f
	}
	if err := syncFiles(crate, false, o.Manifest); err != nil {
		return err
	}
	if err := SeedLock(filepath.Join(root, rustWorkspace, "Cargo.lock"), o.RustOut); err != nil {
		return err
	}
	// Let cargo fit the lock file to the generated crate now (versions stay
	// those of rust/Cargo.lock), so the release build can run --locked.
	if err := CheckRustDeps(&RustCrate{Dir: o.RustOut, Deps: deps}); err != nil {
		return err
	}
	goFiles := map[string]string{}
	for _, f := range ocbSources {
		goFiles[filepath.Join(o.GoOut, f)] = filepath.Join(tmp, "go", f)
	}
	return syncFiles(goFiles, o.Check, o.Manifest)
}

// syncFiles copies generated files into place, or with check reports the
// ones that differ from a fresh generation.
func syncFiles(files map[string]string, check bool, manifest string) error {
	var dsts []string
	for d := range files {
		dsts = append(dsts, d)
	}
	sort.Strings(dsts)
	var stale []string
	for _, dst := range dsts {
		want, err := os.ReadFile(files[dst])
		if err != nil {
			return err
		}
		have, err := os.ReadFile(dst)
		if check {
			if err != nil || !bytes.Equal(have, want) {
				stale = append(stale, dst)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := writeIfChanged(dst, want); err != nil {
			return err
		}
	}
	if len(stale) > 0 {
		return fmt.Errorf("generated files differ from %s: %v: run `make generate`", manifest, stale)
	}
	return nil
}
