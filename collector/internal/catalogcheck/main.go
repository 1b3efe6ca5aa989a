// Command catalogcheck fails when collector/rust_components.json no longer
// matches what the built otelcol-rust says it contains (run `make rust-catalog`).
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"sort"
)

type entry struct {
	Kind    string   `json:"kind"`
	Type    string   `json:"type"`
	Signals []string `json:"signals"`
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: catalogcheck rust_components.json components-output.json")
		os.Exit(2)
	}
	var file struct {
		Components []entry `json:"components"`
	}
	var live []entry
	if err := load(os.Args[1], &file); err != nil {
		fail(err)
	}
	if err := load(os.Args[2], &live); err != nil {
		fail(err)
	}
	norm := func(es []entry) []entry {
		for i := range es {
			sort.Strings(es[i].Signals)
		}
		sort.Slice(es, func(i, j int) bool { return es[i].Kind+es[i].Type < es[j].Kind+es[j].Type })
		return es
	}
	if !reflect.DeepEqual(norm(file.Components), norm(live)) {
		fail(fmt.Errorf("%s is stale: otelcol-rust components says %+v; run `make rust-catalog`", os.Args[1], live))
	}
}

func load(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "catalogcheck:", err)
	os.Exit(1)
}
