package builder

import (
	"bytes"
	"fmt"
	"os/exec"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// CatalogRow is one component of a built binary's `components`.
type CatalogRow struct {
	Kind    string
	Type    string `yaml:"type"`
	Runtime string `yaml:"runtime"`
	Module  string `yaml:"module"`
	Native  string `yaml:"native_type"`
}

// ReadCatalog runs `<binary> components`.
func ReadCatalog(binary string) ([]CatalogRow, error) {
	cmd := exec.Command(binary, "components")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		cause := causeLine(stderr.String())
		if strings.Contains(cause, "duplicate") {
			// otelcol.MakeFactoryMap: two Go entries of one kind give one type.
			return nil, fmt.Errorf("%s components: %s: two Go entries provide the same type", binary, cause)
		}
		return nil, fmt.Errorf("%s components: %w: %s", binary, err, cause)
	}
	var doc map[string]yaml.Node
	if err := yaml.Unmarshal(out, &doc); err != nil {
		return nil, fmt.Errorf("%s components: %w", binary, err)
	}
	var rows []CatalogRow
	for key, node := range doc {
		kind, ok := strings.CutSuffix(key, "s")
		if !ok || componentLists[key] == "" {
			continue
		}
		var rs []CatalogRow
		if err := node.Decode(&rs); err != nil {
			return nil, fmt.Errorf("%s components: %s: %w", binary, key, err)
		}
		for _, r := range rs {
			r.Kind = kind
			rows = append(rows, r)
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Kind != rows[j].Kind {
			return rows[i].Kind < rows[j].Kind
		}
		return rows[i].Type < rows[j].Type
	})
	return rows, nil
}

// CheckCatalog verifies that the binary offers exactly the manifest's
// components: every Go component comes from a manifest entry (or one of the
// components the builder adds), every Go entry provides something, and
// the Rust components are exactly those of the generated collector.
func CheckCatalog(binary string, m *Manifest, rust []RustComponent) ([]CatalogRow, error) {
	rows, err := ReadCatalog(binary)
	if err != nil {
		return nil, err
	}
	goMods := map[string]bool{HybridModule + " " + hybridVersion: true}
	for _, g := range append(m.Go, m.AddedGoEntries()...) {
		goMods[g.Kind+" "+g.GoMod] = true
	}
	provided := map[string]bool{}
	wantRust := map[string]bool{}
	for _, c := range rust {
		wantRust[c.Kind+" "+c.Type] = true
	}
	for _, r := range rows {
		switch r.Runtime {
		case "go":
			// An embedded build's in-process bridge ends and the extension
			// running the Rust half come with our module (embedded.AddFactories).
			if !goMods[r.Kind+" "+r.Module] && !goMods[r.Module] && !strings.HasPrefix(r.Module, HybridModule+"/embedded ") {
				return nil, fmt.Errorf("%s: Go %s %q comes from %q, which the manifest does not list", binary, r.Kind, r.Type, r.Module)
			}
			provided[r.Kind+" "+r.Module] = true
		case "rust":
			native := r.Type
			if r.Native != "" {
				native = r.Native
			}
			if !wantRust[r.Kind+" "+native] {
				return nil, fmt.Errorf("%s: Rust %s %q is not a component of the generated collector", binary, r.Kind, native)
			}
			delete(wantRust, r.Kind+" "+native)
		default:
			return nil, fmt.Errorf("%s: %s %q has runtime %q", binary, r.Kind, r.Type, r.Runtime)
		}
	}
	for k := range wantRust {
		return nil, fmt.Errorf("%s: Rust %s is missing from the binary's catalog", binary, k)
	}
	for _, g := range m.Go {
		if g.Kind != "" && !provided[g.Kind+" "+g.GoMod] {
			return nil, fmt.Errorf("%s: provides no %s in the built binary", g.Label(), g.Kind)
		}
	}
	return rows, nil
}
