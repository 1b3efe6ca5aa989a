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
var requiredComponents = []struct{ list, kind, imp string }{
	{"extensions", "extension", HybridModule + "/collector/subprocessext"},
	{"extensions", "extension", HybridModule + "/collector/bridgectxext"},
	{"processors", "processor", HybridModule + "/collector/bridgecancel"},
}

// OCBOptions says how the Go half is adapted for OCB.
type OCBOptions struct {
	OutputPath string // absolute: where OCB writes the module and binary
	HybridDir  string // absolute: the otelcol-hybrid module the distribution uses
	BuildTags  []string
}

// OCBManifest renders the manifest OCB v0.162.0 gets: the user's YAML minus
// `cargo:` entries and `dist.subprocess_mode`, with dist.output_path set, our
// required components added when missing, and our module replaced by HybridDir.
// Everything else is passed through as written.
func (m *Manifest) OCBManifest(o OCBOptions) ([]byte, error) {
	root := cloneNode(m.root)
	dist := mapGet(root, "dist")
	mapDelete(dist, "subprocess_mode")
	mapSet(dist, "output_path", o.OutputPath)
	if len(o.BuildTags) > 0 {
		tags := strings.Fields(strings.ReplaceAll(m.Dist.BuildTags, ",", " "))
		mapSet(dist, "build_tags", strings.Join(append(tags, o.BuildTags...), ","))
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
	for _, req := range requiredComponents {
		if m.listsImport(req.kind, req.imp) {
			continue
		}
		list := mapGet(root, req.list)
		if list == nil {
			list = &yaml.Node{Kind: yaml.SequenceNode}
			mapSetNode(root, req.list, list)
		}
		list.Content = append(list.Content, mapping("gomod", HybridModule+" "+hybridVersion, "import", req.imp))
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
