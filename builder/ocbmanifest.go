package builder

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// HybridModule is the module that provides the converter, the subprocess
// extension and the embedded Rust collector.
const HybridModule = "github.com/otelcol-hybrid/otelcol-hybrid"

// hybridVersion is the placeholder version OCB's go.mod requires our module
// at; a replace always points it at a directory.
const hybridVersion = "v0.0.0"

// requiredComponents run the Rust child and carry context (and cancellation
// at shutdown) across the bridge: without them a distribution with Rust
// components cannot start. Keyed by manifest list.
var requiredComponents = []struct{ kind, imp string }{
	{"extension", HybridModule + "/extension/subprocessext"},
	{"extension", HybridModule + "/extension/bridgectxext"},
	{"processor", HybridModule + "/processor/bridgecancel"},
}

// bridgeGoModules are the Go ends of the bridges: the otlp exporter carries
// data Go → Rust and the otlp receiver Rust → Go. A manifest with Rust
// components that leaves one out gets it, like the Rust ends (bridgeCrates),
// at the version of the manifest's own core collector modules.
var bridgeGoModules = []struct{ kind, module string }{
	{"receiver", "go.opentelemetry.io/collector/receiver/otlpreceiver"},
	{"exporter", "go.opentelemetry.io/collector/exporter/otlpexporter"},
}

// collectorPin is the core collector release this builder's OCB builds.
const collectorPin = "v0.162.0"

// AddedGoEntries are the Go components the builder adds to m: our required
// ones and the bridges' Go ends the manifest lacks.
func (m *Manifest) AddedGoEntries() []GoEntry {
	var out []GoEntry
	for _, req := range requiredComponents {
		if !m.listsImport(req.kind, req.imp) {
			out = append(out, GoEntry{Where: "(added by the builder)", Kind: req.kind, GoMod: HybridModule + " " + hybridVersion, Import: req.imp})
		}
	}
	if len(m.Cargo) == 0 {
		return out
	}
	version := collectorPin
	for _, g := range m.Go {
		mod, v, _ := strings.Cut(g.GoMod, " ")
		if strings.HasPrefix(mod, "go.opentelemetry.io/collector/") && strings.HasPrefix(v, "v0.") {
			version = v
			break
		}
	}
next:
	for _, b := range bridgeGoModules {
		for _, g := range m.Go {
			if mod, _, _ := strings.Cut(g.GoMod, " "); mod == b.module {
				continue next
			}
		}
		out = append(out, GoEntry{Where: "(added by the builder: bridge)", Kind: b.kind, GoMod: b.module + " " + version})
	}
	return out
}

// OCBOptions says how the Go half is adapted for OCB.
type OCBOptions struct {
	OutputPath string // absolute: where OCB writes the module and binary
	HybridDir  string // absolute: the otelcol-hybrid module the distribution uses
	BuildTags  []string
	CgoEnabled bool // dist.cgo_enabled: OCB compiles with CGO_ENABLED=0 otherwise
}

// OCBManifest renders the manifest OCB v0.162.0 gets: the user's YAML minus
// `cargo:` entries and `dist.subprocess_mode`, with dist.output_path set, our
// required components and the bridges' Go ends added when missing, and our
// module replaced by HybridDir.
// Everything else is passed through as written.
func (m *Manifest) OCBManifest(o OCBOptions) ([]byte, error) {
	root := cloneNode(m.root)
	dist := mapGet(root, "dist")
	mapDelete(dist, "subprocess_mode")
	mapSet(dist, "output_path", o.OutputPath)
	if len(o.BuildTags) > 0 {
		mapSet(dist, "build_tags", strings.Join(append(m.Dist.Tags(), o.BuildTags...), ","))
	}
	if o.CgoEnabled {
		mapSetNode(dist, "cgo_enabled", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"})
	}
	for key := range componentLists {
		list := mapGet(root, key)
		if list == nil {
			continue
		}
		kept := list.Content[:0]
		for _, e := range list.Content {
			if !hasKey(e, "cargo") {
				kept = append(kept, e)
			}
		}
		list.Content = kept
	}
	for _, g := range m.AddedGoEntries() {
		key := g.Kind + "s" // the manifest's list of that kind
		list := mapGet(root, key)
		if list == nil {
			list = &yaml.Node{Kind: yaml.SequenceNode}
			mapSetNode(root, key, list)
		}
		if g.Import != "" {
			list.Content = append(list.Content, mapping("gomod", g.GoMod, "import", g.Import))
		} else {
			list.Content = append(list.Content, mapping("gomod", g.GoMod))
		}
	}
	// Our module must resolve to HybridDir (the copy that embeds this
	// distribution's Rust collector): a user replace of it is superseded.
	reps := mapGet(root, "replaces")
	if reps == nil {
		reps = &yaml.Node{Kind: yaml.SequenceNode}
		mapSetNode(root, "replaces", reps)
	}
	kept := reps.Content[:0]
	for _, r := range reps.Content {
		if replacedModule(r.Value) != HybridModule {
			kept = append(kept, r)
		}
	}
	reps.Content = append(kept, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: HybridModule + " => " + o.HybridDir})
	out, err := yaml.Marshal(root)
	if err != nil {
		return nil, fmt.Errorf("%s: rendering the OCB manifest: %w", m.File, err)
	}
	return out, nil
}

// HybridReplace is the directory the manifest's own replace of our module
// points at ("" if none): the checkout the builder copies from.
func (m *Manifest) HybridReplace() string {
	for _, r := range m.Replaces {
		if replacedModule(r) == HybridModule {
			_, target, _ := strings.Cut(r, "=>")
			return strings.TrimSpace(target)
		}
	}
	return ""
}

func (m *Manifest) listsImport(kind, imp string) bool {
	for _, g := range m.Go {
		if g.Kind == kind && g.Import == imp {
			return true
		}
	}
	return false
}

// replacedModule is the module path of a go.mod replace ("old [v] => new [v]").
func replacedModule(r string) string {
	old, _, _ := strings.Cut(r, "=>")
	if f := strings.Fields(old); len(f) > 0 {
		return f[0]
	}
	return ""
}

func cloneNode(n *yaml.Node) *yaml.Node {
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, ch := range n.Content {
		c.Content[i] = cloneNode(ch)
	}
	return &c
}

func mapGet(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func mapDelete(n *yaml.Node, key string) {
	for i := 0; i < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			n.Content = append(n.Content[:i], n.Content[i+2:]...)
			return
		}
	}
}

func mapSet(n *yaml.Node, key, value string) {
	mapSetNode(n, key, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value})
}

func mapSetNode(n *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			n.Content[i+1] = v
			return
		}
	}
	n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
}

func mapping(kv ...string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for _, s := range kv {
		n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s})
	}
	return n
}
