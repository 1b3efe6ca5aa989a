// Command goreleasergen writes .goreleaser.yaml from the platform table, so
// the release matrix cannot drift from platforms/ (a test compares the
// checked-in file with this output). Run it through `make goreleaser-config`.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"text/template"

	"github.com/otelcol-hybrid/otelcol-hybrid/platforms"
)

func main() {
	check := flag.String("check", "", "compare with this file instead of printing (the release's before hook uses it)")
	flag.Parse()
	var buf bytes.Buffer
	err := render(&buf)
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
		return fmt.Errorf("%s is stale with respect to platforms/: run make goreleaser-config", path)
	}
	return nil
}

type row struct {
	platforms.Platform
	ID string
}

func rows() []row {
	var out []row
	for _, p := range platforms.All() {
		out = append(out, row{Platform: p, ID: "otelcol-hybrid_" + p.Key()})
	}
	return out
}

func render(w interface{ Write([]byte) (int, error) }) error {
	t, err := template.New("goreleaser").Delims("[[", "]]").Parse(configTemplate)
	if err != nil {
		return err
	}
	return t.Execute(w, rows())
}
