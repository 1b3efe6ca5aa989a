// Command rustcross builds the Rust collector for the platforms of the table
// in platforms/ with cargo-zigbuild, reproducibly, into
// <out>/<goos>_<goarch>/otelcol-rust[.exe], and writes the list of platforms it
// built to <out>/built.txt for scripts/embedgen.
//
// A platform whose Rust standard library is not installed is reported in one
// line and skipped; with -strict (full releases) that is an error instead,
// so a release never ships a Go binary without its collector.
//
//	go run ./scripts/rustcross -platforms "host|all|goos/goarch ..." [-strict]
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/otelcol-hybrid/otelcol-hybrid/platforms"
)

func main() {
	spec := flag.String("platforms", "host", `"host", "all" or a list of goos/goarch`)
	strict := flag.Bool("strict", false, "fail when a requested platform cannot be built (full release)")
	out := flag.String("out", "build/rust", "output directory")
	manifest := flag.String("manifest-path", "rust/Cargo.toml", "Cargo.toml of the Rust workspace")
	bin := flag.String("bin", "otelcol-rust", "cargo binary target to build")
	targetDir := flag.String("target-dir", "", "cargo target dir (default: <workspace>/target)")
	remapRoot := flag.String("remap-root", "", "directory mapped to /otelcol-hybrid besides the checkout (default: the workspace's parent)")
	list := flag.Bool("list", false, "only print the buildable platforms of -platforms (one line), build nothing")
	flag.Parse()
	var err error
	if *list {
		err = listBuildable(*spec, *manifest)
	} else {
		err = run(*spec, *strict, *out, *manifest, *bin, *targetDir, *remapRoot)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "rustcross:", err)
		os.Exit(1)
	}
}

func run(spec string, strict bool, out, manifest, bin, targetDir, remapRoot string) error {
	want, err := platforms.Select(spec)
	if err != nil {
		return err
	}
	b, err := newBuilder(manifest, bin, targetDir)
	if err != nil {
		return err
	}
	if remapRoot != "" {
		if b.remapRoot, err = filepath.Abs(remapRoot); err != nil {
			return err
		}
	}
	// Check every target before building any, so a strict run fails at once.
	var buildable []platforms.Platform
	var missing []string
	for _, p := range want {
		if ok, why := b.stdInstalled(p); !ok {
			// One line per platform: what is missing and how to get it.
			fmt.Fprintf(os.Stderr, "rustcross: cannot build %s: %s\n", p, why)
			missing = append(missing, p.String())
			continue
		}
		buildable = append(buildable, p)
	}
	if strict && len(missing) > 0 {
		return fmt.Errorf("release needs every requested platform; not buildable here: %s", strings.Join(missing, " "))
	}
	var built []string
	for _, p := range buildable {
		if err := b.build(p, filepath.Join(out, p.Key())); err != nil {
			return err
		}
		built = append(built, p.String())
	}
	if len(built) == 0 {
		return fmt.Errorf("none of %q could be built", spec)
	}
	version, err := b.version()
	if err != nil {
		return err
	}
	// built.txt and version.txt are what embedgen reads back.
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "version.txt"), []byte(version+"\n"), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "built.txt"), []byte(strings.Join(built, " ")+"\n"), 0o644)
}

// listBuildable prints the platforms of spec whose Rust std is installed, on
// one line for the Makefile; the others are reported on stderr as usual.
func listBuildable(spec, manifest string) error {
	want, err := platforms.Select(spec)
	if err != nil {
		return err
	}
	b, err := newBuilder(manifest, "", "")
	if err != nil {
		return err
	}
	var ok []string
	for _, p := range want {
		if yes, why := b.stdInstalled(p); yes {
			ok = append(ok, p.String())
		} else {
			fmt.Fprintf(os.Stderr, "rustcross: cannot build %s: %s\n", p, why)
		}
	}
	if len(ok) == 0 {
		return fmt.Errorf("none of %q can be built here", spec)
	}
	fmt.Println(strings.Join(ok, " "))
	return nil
}
