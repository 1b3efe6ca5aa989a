// Command hybrid-builder builds an otelcol-hybrid distribution from an
// OpenTelemetry Collector Builder manifest extended with
// `dist.subprocess_mode: auto|embedded|subprocess` and `cargo:` components:
//
//	hybrid-builder [build] --config builder-config.yaml [--platforms "host linux/arm64"] [--ocb .tools/bin/builder]
//	hybrid-builder generate --config cmd/otelcol-hybrid/builder-config.yaml --go-out cmd/otelcol-hybrid --rust-out build/otelcol-hybrid/rust [--check]
//
// build: Rust crate → scripts/rustcross → scripts/embedgen → OCB (Go module,
// main patched to collector.NewCommand) → compile → check the binary's
// `components` against the manifest; the binary is dist.output_path/dist.name.
// An embedded build (subprocess_mode: embedded, or auto with cgo on Linux)
// instead generates an otelcol-ffi static library crate with the manifest's
// Rust components, builds its object with scripts/build-embedded.sh, and
// compiles the Go half with cgo (zig cc at the glibc floor) linking it: no
// child, no blob.
// generate: the same sources written in place, for a distribution whose
// sources are committed (otelcol-hybrid itself); --check only compares.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/otelcol-hybrid/otelcol-hybrid/builder"
)

func main() {
	args := os.Args[1:]
	sub := "build"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	var err error
	switch sub {
	case "build":
		err = build(args)
	case "generate":
		err = generate(args)
	default:
		err = fmt.Errorf("unknown subcommand %q (want build or generate)", sub)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "hybrid-builder:", err)
		os.Exit(1)
	}
}

func common(fs *flag.FlagSet) (*builder.Options, *string) {
	o := &builder.Options{Log: os.Stderr}
	fs.StringVar(&o.Manifest, "config", "", "the extended OCB manifest (required)")
	fs.StringVar(&o.HybridRoot, "hybrid-root", "", "otelcol-hybrid checkout (default: the manifest's replace of it, else found upward from here)")
	ocb := fs.String("ocb", "", "OCB v0.162.0 executable (default: go run go.opentelemetry.io/collector/cmd/builder@v0.162.0)")
	return o, ocb
}

func finish(o *builder.Options, ocb string) error {
	if o.Manifest == "" {
		return fmt.Errorf("--config is required")
	}
	o.OCB = builder.DefaultOCB
	if ocb != "" {
		o.OCB = []string{ocb}
	}
	return nil
}

func build(args []string) error {
	fs := flag.NewFlagSet("build", flag.ExitOnError)
	o, ocb := common(fs)
	fs.StringVar(&o.Platforms, "platforms", "", `Rust collectors to embed besides the target's: "all" or goos/goarch ... (subprocess mode)`)
	fs.StringVar(&o.RustTargetDir, "rust-target-dir", "", "cargo target dir, to share compiled dependencies between distributions (default: <output_path>/_hybrid/rust/target)")
	_ = fs.Parse(args)
	if err := finish(o, *ocb); err != nil {
		return err
	}
	res, err := builder.Build(*o)
	if err != nil {
		return err
	}
	for _, s := range res.Steps {
		fmt.Fprintf(os.Stderr, "hybrid-builder: %-55s %s\n", s.Name, s.Took)
	}
	fmt.Fprintf(os.Stderr, "hybrid-builder: mode: %s\n", res.Mode)
	fmt.Println(res.Binary)
	return nil
}

func generate(args []string) error {
	fs := flag.NewFlagSet("generate", flag.ExitOnError)
	o, ocb := common(fs)
	g := builder.GenerateOptions{}
	fs.StringVar(&g.GoOut, "go-out", "", "directory of the main package (required)")
	fs.StringVar(&g.RustOut, "rust-out", "", "directory of the generated otelcol-rust crate (required)")
	fs.BoolVar(&g.Check, "check", false, "fail if the files differ from a fresh generation instead of writing them")
	_ = fs.Parse(args)
	if err := finish(o, *ocb); err != nil {
		return err
	}
	if g.GoOut == "" || g.RustOut == "" {
		return fmt.Errorf("--go-out and --rust-out are required")
	}
	g.Options = *o
	return builder.Generate(g)
}
