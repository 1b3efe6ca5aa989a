package partition

import (
	"fmt"
	"slices"
	"strings"
)

// pipelineKinds are the component sections pipelines refer to; extensions are
// not in pipelines and stay in the Go half untouched.
var pipelineKinds = []Kind{Receiver, Processor, Exporter, Connector}

// component is one entry of a receivers/processors/exporters/connectors section.
type component struct {
	kind Kind
	id   compID
	cfg  any // the user's settings, never modified
}

// ref is a pipeline's reference to a component; kind is Connector when a
// receivers/exporters entry names a connector.
type ref struct {
	kind Kind
	id   compID
}

func (r ref) String() string { return fmt.Sprintf("%s %q", r.kind, r.id.String()) }

type pipelineSpec struct {
	id                               pipeID
	receivers, processors, exporters []ref
}

// userConfig is the part of the user's config the partitioner reads.
type userConfig struct {
	raw        map[string]any
	components map[Kind]map[compID]component
	pipelines  []pipelineSpec // sorted by id, which makes every later step deterministic
}

// parseUserConfig checks the shape of the sections the partitioner rewrites.
// It does not consult the catalog; see resolve.
func parseUserConfig(user map[string]any) (*userConfig, error) {
	uc := &userConfig{raw: user, components: map[Kind]map[compID]component{}}
	for _, kind := range pipelineKinds {
		sec, err := asMap(user[kind.section()], kind.section())
		if err != nil {
			return nil, err
		}
		comps := map[compID]component{}
		for _, key := range sortedKeys(sec) {
			id, err := parseCompID(key)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", kind.section(), err)
			}
			if _, dup := comps[id]; dup {
				return nil, fmt.Errorf("%s: %q is defined twice", kind.section(), id.String())
			}
			comps[id] = component{kind: kind, id: id, cfg: sec[key]}
		}
		uc.components[kind] = comps
	}
	service, err := asMap(user["service"], "service")
	if err != nil {
		return nil, err
	}
	pipes, err := asMap(service["pipelines"], "service::pipelines")
	if err != nil {
		return nil, err
	}
	seen := map[pipeID]bool{}
	for _, key := range sortedKeys(pipes) {
		p, err := uc.parsePipeline(key, pipes[key])
		if err != nil {
			return nil, err
		}
		if seen[p.id] {
			return nil, fmt.Errorf("service::pipelines: %q is defined twice", p.id.String())
		}
		seen[p.id] = true
		uc.pipelines = append(uc.pipelines, p)
	}
	slices.SortFunc(uc.pipelines, func(a, b pipelineSpec) int { return strings.Compare(a.id.String(), b.id.String()) })
	return uc, nil
}

func (uc *userConfig) parsePipeline(key string, v any) (pipelineSpec, error) {
	id, err := parsePipeID(key)
	if err != nil {
		return pipelineSpec{}, fmt.Errorf("service::pipelines: %w", err)
	}
	where := "service::pipelines::" + q(id.String())
	m, err := asMap(v, where)
	if err != nil {
		return pipelineSpec{}, err
	}
	for _, k := range sortedKeys(m) {
		if k != "receivers" && k != "processors" && k != "exporters" {
			return pipelineSpec{}, fmt.Errorf("%s: unknown key %q (want receivers, processors, exporters)", where, k)
		}
	}
	p := pipelineSpec{id: id}
	lists := []struct {
		field string
		kinds []Kind // where an id in this list may be defined
		out   *[]ref
	}{
		{"receivers", []Kind{Receiver, Connector}, &p.receivers},
		{"processors", []Kind{Processor}, &p.processors},
		{"exporters", []Kind{Exporter, Connector}, &p.exporters},
	}
	for _, l := range lists {
		items, err := asStringList(m[l.field], where+"::"+l.field)
		if err != nil {
			return pipelineSpec{}, err
		}
		seen := map[compID]bool{}
		for _, item := range items {
			cid, err := parseCompID(item)
			if err != nil {
				return pipelineSpec{}, fmt.Errorf("%s: %s: %w", where, l.field, err)
			}
			if seen[cid] {
				return pipelineSpec{}, fmt.Errorf("%s: %s: %q is listed twice", where, l.field, cid.String())
			}
			seen[cid] = true
			r, err := uc.resolveRef(cid, l.kinds)
			if err != nil {
				return pipelineSpec{}, fmt.Errorf("%s: %s: %w", where, l.field, err)
			}
			*l.out = append(*l.out, r)
		}
	}
	if len(p.receivers) == 0 {
		return pipelineSpec{}, fmt.Errorf("%s: receivers: a pipeline needs at least one receiver", where)
	}
	if len(p.exporters) == 0 {
		return pipelineSpec{}, fmt.Errorf("%s: exporters: a pipeline needs at least one exporter", where)
	}
	return p, nil
}

// resolveRef finds the one section defining id among kinds.
func (uc *userConfig) resolveRef(id compID, kinds []Kind) (ref, error) {
	var found []Kind
	for _, k := range kinds {
		if _, ok := uc.components[k][id]; ok {
			found = append(found, k)
		}
	}
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = k.section()
	}
	switch len(found) {
	case 0:
		return ref{}, fmt.Errorf("%q is not defined in %s", id.String(), strings.Join(names, " or "))
	case 1:
		return ref{kind: found[0], id: id}, nil
	default:
		return ref{}, fmt.Errorf("%q is defined in both %s; the reference is ambiguous", id.String(), strings.Join(names, " and "))
	}
}

// asMap accepts a missing/empty section or a string-keyed mapping.
func asMap(v any, where string) (map[string]any, error) {
	switch m := v.(type) {
	case nil:
		return map[string]any{}, nil
	case map[string]any:
		return m, nil
	default:
		return nil, fmt.Errorf("%s: want a mapping with string keys, got %s", where, describe(v))
	}
}

// asStringList accepts what confmap and YAML decoders produce for a list of ids.
func asStringList(v any, where string) ([]string, error) {
	switch l := v.(type) {
	case nil:
		return nil, nil
	case []string:
		return l, nil
	case []any:
		out := make([]string, len(l))
		for i, item := range l {
			s, ok := item.(string)
			if !ok {
				return nil, fmt.Errorf("%s[%d]: want a component id string, got %s", where, i, describe(item))
			}
			out[i] = s
		}
		return out, nil
	default:
		return nil, fmt.Errorf("%s: want a list of component ids, got %s", where, describe(v))
	}
}

func describe(v any) string {
	switch v.(type) {
	case map[string]any, map[any]any:
		return "a mapping"
	case []any:
		return "a list"
	case string:
		return "a string"
	default:
		return fmt.Sprintf("%T", v)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
