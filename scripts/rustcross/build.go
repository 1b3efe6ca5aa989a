package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/otelcol-hybrid/otelcol-hybrid/platforms"
)

type builder struct {
	manifest, workspace, bin, targetDir string
	sysroot                             string
	// checkout is the directory rustcross runs in (make runs it from the
	// repository root). A generated workspace under build/ pulls component
	// crates from rust/components by path: those sources are in the
	// checkout, not under the workspace.
	checkout string
	// remapRoot is mapped to /otelcol-hybrid like the checkout: the parent
	// of the generated crate (its workspace's parent by default). Builds
	// sharing a target dir must pass the same one, or cargo rebuilds every
	// dependency in place for their differing RUSTFLAGS.
	remapRoot string
}

func newBuilder(manifest, bin, targetDir string) (*builder, error) {
	manifest, err := filepath.Abs(manifest)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(manifest); err != nil {
		return nil, fmt.Errorf("rust workspace: %w", err)
	}
	checkout, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	b := &builder{manifest: manifest, workspace: filepath.Dir(manifest), bin: bin, checkout: checkout}
	if targetDir == "" {
		targetDir = filepath.Join(b.workspace, "target")
	}
	if b.targetDir, err = filepath.Abs(targetDir); err != nil {
		return nil, err
	}
	// rustc run from the workspace honours its rust-toolchain file, so the
	// sysroot is the one cargo will use.
	cmd := exec.Command("rustc", "--print", "sysroot")
	cmd.Dir = b.workspace
	cmd.Stderr = os.Stderr
	sysroot, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("rustc --print sysroot (in %s): %w", b.workspace, err)
	}
	b.sysroot = strings.TrimSpace(string(sysroot))
	return b, nil
}

// stdInstalled reports whether the toolchain has the target's standard
// library; only the host's is installed on our build machines.
func (b *builder) stdInstalled(p platforms.Platform) (bool, string) {
	dir := filepath.Join(b.sysroot, "lib", "rustlib", p.RustTarget, "lib")
	if entries, err := os.ReadDir(dir); err != nil || len(entries) == 0 {
		return false, fmt.Sprintf("Rust std for %s is not installed in %s (rustup target add %s)", p.RustTarget, b.sysroot, p.RustTarget)
	}
	return true, ""
}

// build runs cargo zigbuild for one platform and copies the binary to dir.
func (b *builder) build(p platforms.Platform, dir string) error {
	args := []string{"zigbuild", "--release", "--manifest-path", b.manifest,
		"--target", p.ZigTarget, "--bin", b.bin, "--target-dir", b.targetDir}
	if _, err := os.Stat(filepath.Join(b.workspace, "Cargo.lock")); err == nil {
		args = append(args, "--locked") // same dependency versions on every machine
	}
	cmd := exec.Command("cargo", args...)
	cmd.Env = append(os.Environ(), b.reproducibleEnv()...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	fmt.Fprintf(os.Stderr, "rustcross: building %s (cargo %s)\n", p, strings.Join(args, " "))
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("cargo zigbuild for %s (%s): %w", p, p.ZigTarget, err)
	}
	name := b.bin + p.ExeSuffix()
	src := filepath.Join(b.targetDir, p.RustTarget, "release", name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return copyFile(src, filepath.Join(dir, name))
}

// reproducibleEnv removes machine-specific paths from the binary: the
// checkout, the cargo registry and the target dir (build-script OUT_DIRs) are
// mapped to fixed names. Later --remap-path-prefix flags win in rustc, so the
// more specific prefixes come last. CARGO_ENCODED_RUSTFLAGS (0x1f-separated)
// keeps paths with spaces intact and overrides RUSTFLAGS from the caller.
func (b *builder) reproducibleEnv() []string {
	root := b.remapRoot
	if root == "" {
		root = filepath.Dir(b.workspace)
	}
	cargoHome := os.Getenv("CARGO_HOME")
	if cargoHome == "" {
		home, _ := os.UserHomeDir()
		cargoHome = filepath.Join(home, ".cargo")
	}
	flags := []string{"--remap-path-prefix=" + b.checkout + "=/otelcol-hybrid"}
	if root != b.checkout {
		flags = append(flags, "--remap-path-prefix="+root+"=/otelcol-hybrid")
	}
	flags = append(flags,
		"--remap-path-prefix="+cargoHome+"=/cargo",
		"--remap-path-prefix="+b.targetDir+"=/target",
	)
	return []string{
		"CARGO_ENCODED_RUSTFLAGS=" + strings.Join(flags, "\x1f"),
		"RUSTFLAGS=",
		"CARGO_INCREMENTAL=0",
	}
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("built binary: %w", err)
	}
	defer func() { _ = in.Close() }()
	tmp := dst + ".tmp"
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close() // the copy error is the one to report
		_ = os.Remove(tmp)
		return fmt.Errorf("copy %s: %w", src, err)
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}

// version is the Cargo version of the binary's package, recorded in manifests.
func (b *builder) version() (string, error) {
	cmd := exec.Command("cargo", "metadata", "--no-deps", "--format-version", "1", "--manifest-path", b.manifest)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("cargo metadata: %w", err)
	}
	var meta struct {
		Packages []struct {
			Name, Version string
			Targets       []struct {
				Name string
				Kind []string
			}
		}
	}
	if err := json.Unmarshal(out, &meta); err != nil {
		return "", fmt.Errorf("cargo metadata: %w", err)
	}
	for _, p := range meta.Packages {
		for _, t := range p.Targets {
			if t.Name == b.bin && len(t.Kind) > 0 && t.Kind[0] == "bin" {
				return p.Version, nil
			}
		}
	}
	return "", fmt.Errorf("cargo metadata: no package has a binary %q", b.bin)
}
