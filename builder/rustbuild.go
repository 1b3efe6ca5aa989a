package builder

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// CheckRustDeps lets cargo resolve the generated crate (and update its
// Cargo.lock for crates.io components) before anything is compiled, so a
// missing crate is reported against its manifest entry.
func CheckRustDeps(c *RustCrate) error {
	cmd := exec.Command("cargo", "metadata", "--format-version", "1", "--manifest-path", filepath.Join(c.Dir, "Cargo.toml"))
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	if err := cmd.Run(); err != nil {
		msg := lastErrorLine(stderr.String())
		if d, ok := depNamedIn(c.Deps, stderr.String()); ok {
			return fmt.Errorf("%s: missing crate: %s", d.Entry.Label(), msg)
		}
		return fmt.Errorf("cargo metadata on the generated crate %s: %s", c.Dir, msg)
	}
	return nil
}

// cargoNameRe finds the crate names cargo quotes in its errors.
var cargoNameRe = regexp.MustCompile("`([A-Za-z0-9_-]+)(?: v[^`]*)?`")

// depNamedIn is the first dependency cargo's output names, by key or package.
func depNamedIn(deps []RustDep, out string) (RustDep, bool) {
	for _, m := range cargoNameRe.FindAllStringSubmatch(out, -1) {
		for _, d := range deps {
			if m[1] == d.Key || m[1] == d.Package || RustIdent(m[1]) == d.Key ||
				(d.Package != "" && RustIdent(m[1]) == RustIdent(d.Package)) {
				return d, true
			}
		}
	}
	return RustDep{}, false
}

// lastErrorLine is cargo's first `error:` line (the cause), else its last line.
func lastErrorLine(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for _, l := range lines {
		// cargo says "error:", cargo-zigbuild "Error:".
		if strings.HasPrefix(strings.ToLower(l), "error") {
			return strings.TrimSpace(l)
		}
	}
	// `go run` adds "exit status N" after the tool's own last word.
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" && !strings.HasPrefix(l, "exit status") {
			return l
		}
	}
	return strings.TrimSpace(out)
}

// BuildRust cross-builds the crate through scripts/rustcross (the same
// cargo-zigbuild, glibc floor and reproducibility flags as `make blobs`) into
// out/<goos>_<goarch>/otelcol-rust, and returns the built platforms' list file.
// A compile error is reported against the entry whose crate failed.
func BuildRust(c *RustCrate, hybridRoot, platformSpec, out, targetDir, remapRoot string, log io.Writer) error {
	cmd := exec.Command("go", "run", "./scripts/rustcross", "-platforms", platformSpec, "-out", out,
		"-manifest-path", filepath.Join(c.Dir, "Cargo.toml"), "-target-dir", targetDir, "-remap-root", remapRoot)
	cmd.Dir = hybridRoot
	// Not SOURCE_DATE_EPOCH: make sets it to the last commit's time, and the
	// build scripts of ring and zstd-sys rerun when it changes, so every
	// commit would rebuild everything above them (tonic, rustls, the Arrow
	// encoder): 15 minutes on two cores. The blob's time comes from it in
	// Embed; no compiled code reads it.
	cmd.Env = withoutEnv(os.Environ(), "SOURCE_DATE_EPOCH")
	var stderr bytes.Buffer
	cmd.Stdout = log
	cmd.Stderr = io.MultiWriter(log, &stderr)
	if err := cmd.Run(); err != nil {
		failed := regexp.MustCompile("could not compile `([^`]+)`").FindStringSubmatch(stderr.String())
		if failed != nil {
			if d, ok := depNamedIn(c.Deps, failed[0]); ok {
				return fmt.Errorf("%s: cargo build failed: %s", d.Entry.Label(), lastErrorLine(stderr.String()))
			}
		}
		return fmt.Errorf("building the Rust collector (%s): %s", c.Dir, lastErrorLine(stderr.String()))
	}
	return nil
}

// Embed compresses the built collectors and writes the embedbin files of
// the distribution's otelcol-hybrid copy, through scripts/embedgen.
func Embed(hybridRoot, rustOut, embedbinDir, version string, log io.Writer) error {
	cmd := exec.Command("go", "run", "./scripts/embedgen", "-platforms", "@"+filepath.Join(rustOut, "built.txt"),
		"-in", rustOut, "-out", embedbinDir, "-version", version)
	cmd.Dir = hybridRoot
	cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH="+sourceDateEpoch(hybridRoot))
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = log, io.MultiWriter(log, &stderr)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("embedgen: %s", lastErrorLine(stderr.String()))
	}
	return nil
}

// withoutEnv is env without the variable name.
func withoutEnv(env []string, name string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}

// sourceDateEpoch is the manifest time for reproducible blobs: the caller's
// SOURCE_DATE_EPOCH (make exports it), else the checkout's last commit, else 0
// (as mk/build.mk does).
func sourceDateEpoch(root string) string {
	if v := os.Getenv("SOURCE_DATE_EPOCH"); v != "" {
		return v
	}
	if out, err := exec.Command("git", "-C", root, "log", "-1", "--format=%ct").Output(); err == nil && len(bytes.TrimSpace(out)) > 0 {
		return string(bytes.TrimSpace(out))
	}
	return "0"
}

// RustComponent is one line of `otelcol-rust components`.
type RustComponent struct {
	Kind    string   `json:"kind"`
	Type    string   `json:"type"`
	Signals []string `json:"signals"`
}

// RustCatalog runs the built host binary's `components` and refuses a
// (kind, type) registered twice, naming the entries whose sources declare it.
func RustCatalog(exe string, deps []RustDep) ([]RustComponent, error) {
	out, err := exec.Command(exe, "components").Output()
	if err != nil {
		return nil, fmt.Errorf("%s components: %w", exe, err)
	}
	var comps []RustComponent
	if err := json.Unmarshal(out, &comps); err != nil {
		return nil, fmt.Errorf("%s components: %w", exe, err)
	}
	seen := map[string]bool{}
	for _, c := range comps {
		key := c.Kind + " " + c.Type
		if seen[key] {
			return nil, fmt.Errorf("%s type %q is provided by two cargo entries (%s): a type must come from one entry", c.Kind, c.Type, strings.Join(declaring(deps, c.Type), ", "))
		}
		seen[key] = true
	}
	return comps, nil
}

// declaring names the entries whose crate source declares type_name: "<typ>"
// (best effort: a registration built by a macro is not found).
func declaring(deps []RustDep, typ string) []string {
	needle := fmt.Sprintf("type_name: %q", typ)
	var out []string
	for _, d := range deps {
		if d.Path == "" {
			continue
		}
		_ = filepath.WalkDir(filepath.Join(d.Path, "src"), func(p string, e os.DirEntry, err error) error {
			if err != nil || e.IsDir() || !strings.HasSuffix(p, ".rs") {
				return nil
			}
			if b, _ := os.ReadFile(p); bytes.Contains(b, []byte(needle)) {
				out = append(out, d.Entry.Label())
				return filepath.SkipAll
			}
			return nil
		})
	}
	if len(out) == 0 {
		return []string{"entries not identified from their sources"}
	}
	sort.Strings(out)
	return out
}

// WriteRustCatalog writes collector/rust_components.json (the format of
// `make rust-catalog`) for the distribution's collector package.
func WriteRustCatalog(file string, comps []RustComponent) error {
	var b strings.Builder
	b.WriteString("{\n  \"generated_by\": \"hybrid-builder (otelcol-rust components of this distribution); do not edit\",\n  \"components\": [")
	for i, c := range comps {
		line, err := json.Marshal(c)
		if err != nil {
			return err
		}
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n    " + strings.ReplaceAll(strings.ReplaceAll(string(line), `":`, `": `), `","`, `", "`))
	}
	b.WriteString("\n  ]\n}\n")
	return os.WriteFile(file, []byte(b.String()), 0o644)
}
