// Command goreleasergen writes .goreleaser.yaml from the platform table, so
// the release matrix cannot drift from platforms/ (a test compares the
// checked-in file with this output). Run it through `make goreleaser-config`.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"strings"
	"text/template"

	"github.com/otelcol-hybrid/otelcol-hybrid/builder"
	"github.com/otelcol-hybrid/otelcol-hybrid/platforms"
)

// selfManifest is the distribution's builder manifest, from the checkout's
// root: its dist.build_tags go into every Go build of the release.
const selfManifest = "cmd/otelcol-hybrid/builder-config.yaml"

func main() {
	check := flag.String("check", "", "compare with this file instead of printing (the release's before hook uses it)")
	flag.Parse()
	var buf bytes.Buffer
	err := render(&buf, selfManifest)
	if err == nil && *check == "" {
		_, err = os.Stdout.Write(buf.Bytes())
	} else if err == nil {
		err = compare(*check, buf.Bytes())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "goreleasergen:", err)
		os.Exit(1)
	}
}

func compare(path string, want []byte) error {
	got, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if !bytes.Equal(got, want) {
		return fmt.Errorf("%s is stale with respect to platforms/ and the manifest's build tags: run make goreleaser-config", path)
	}
	return nil
}

type row struct {
	platforms.Platform
	ID string
	// The embedded flavour only: the zig cc target (glibc floor included)
	// and the Rust object the before hook builds (scripts/build-embedded.sh).
	ZigCC, Object string
}

type data struct {
	Subprocess, Embedded []row
	// DistTags are the distribution's own build tags (which Prometheus
	// service discoveries it links), besides each flavour's.
	DistTags []string
}

// rows are the subprocess builds (every platform) and the embedded ones:
// the glibc Linux platforms, as cgo ties the binary to the platform's libc
// and zig cc links it against the table's glibc floor.
func rows() data {
	var d data
	for _, p := range platforms.All() {
		d.Subprocess = append(d.Subprocess, row{Platform: p, ID: "otelcol-hybrid_" + p.Key()})
		if p.GOOS != "linux" || p.GlibcFloor == "" {
			continue
		}
		arch, _, _ := strings.Cut(p.RustTarget, "-")
		obj := "build/ffi/otelcol_ffi.o"
		if p.GOARCH != "amd64" {
			obj = "build/ffi/" + p.Key() + "/otelcol_ffi.o"
		}
		d.Embedded = append(d.Embedded, row{Platform: p, ID: "otelcol-hybrid-embedded_" + p.Key(),
			ZigCC: arch + "-linux-gnu." + p.GlibcFloor, Object: obj})
	}
	return d
}

func render(w interface{ Write([]byte) (int, error) }, manifest string) error {
	t, err := template.New("goreleaser").Delims("[[", "]]").Parse(configTemplate)
	if err != nil {
		return err
	}
	m, err := builder.ParseManifestFile(manifest)
	if err != nil {
		return err
	}
	d := rows()
	d.DistTags = m.Dist.Tags()
	return t.Execute(w, d)
}
