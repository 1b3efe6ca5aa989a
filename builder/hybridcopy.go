package builder

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// The distribution must embed ITS Rust collector and catalog, while
// embedbin/ and collector/rust_components.json of the otelcol-hybrid checkout
// hold the default ones. So the distribution's go.mod replaces our module
// with a copy of its library packages in which those two generated inputs
// are this distribution's: no registration hook, no global state, and the
// checkout is never written to.

// copySkipDirs are top-level directories of the checkout that are not part
// of the library a distribution imports (tools, tests, other modules, output).
var copySkipDirs = set(".git", ".tools", "bin", "build", "dist", "rust", "bench", "e2e",
	"scripts", "cmd", "docs", "examples", "packaging", "node_modules")

// CopyHybridModule writes the library packages of the otelcol-hybrid module at
// root into dst: go.mod, go.sum and every package directory's non-test files,
// minus the generated embeds (the caller writes this distribution's).
func CopyHybridModule(root, dst string) error {
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return fmt.Errorf("otelcol-hybrid module at %s: %w", root, err)
	}
	if !strings.Contains(string(gomod), "module "+HybridModule+"\n") {
		return fmt.Errorf("%s/go.mod is not the %s module", root, HybridModule)
	}
	if err := os.RemoveAll(dst); err != nil {
		return err
	}
	return filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if e.IsDir() {
			if rel == "." {
				return nil
			}
			top := strings.Split(filepath.ToSlash(rel), "/")[0]
			if copySkipDirs[top] || e.Name() == "testdata" || strings.HasPrefix(e.Name(), ".") || strings.HasPrefix(e.Name(), "_") {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
				return filepath.SkipDir // another module
			}
			return nil
		}
		if !e.Type().IsRegular() || !keepFile(rel) {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		return os.WriteFile(out, data, 0o644)
	})
}

// keepFile: module files at the top, and in package directories every
// non-test file (go:embed inputs such as collector/rust_components.json
// included), except the checkout's generated embeds.
func keepFile(rel string) bool {
	dir, base := filepath.Dir(rel), filepath.Base(rel)
	if dir == "." {
		return base == "go.mod" || base == "go.sum"
	}
	if strings.HasSuffix(base, "_test.go") || strings.HasPrefix(base, "zz_embed_") {
		return false
	}
	if filepath.ToSlash(dir) == "embedbin/blobs" || strings.HasPrefix(filepath.ToSlash(dir), "embedbin/blobs/") {
		return false
	}
	return !strings.HasPrefix(base, ".")
}
