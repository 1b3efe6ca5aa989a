package partition

import (
	"fmt"
	"strings"
)

// resolve looks every component up in the catalog and checks the rules that
// need it: known types, supported signals, connectors only in Go, connector
// signal pairs, and no connector cycles. Errors name pipeline and component.
func resolve(uc *userConfig, cat *Catalog) (map[ref]ComponentInfo, error) {
	infos := map[ref]ComponentInfo{}
	for _, p := range uc.pipelines {
		where := "service::pipelines::" + q(p.id.String())
		for _, r := range p.all() {
			info, err := lookupRef(cat, r)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			if r.kind != Connector && !info.supports(p.id.signal) {
				return nil, fmt.Errorf("%s: %s: the %s %s type %q does not support %s (supports %s)",
					where, r, info.Runtime.title(), r.kind, info.Type, p.id.signal, signalList(info.Signals))
			}
			infos[r] = info
		}
	}
	if err := checkConnectorPairs(uc, infos); err != nil {
		return nil, err
	}
	// Components no pipeline uses: still refuse types nobody provides, as the
	// collector would, so a typo never silently disappears from the config.
	for _, kind := range pipelineKinds {
		for _, id := range sortedCompIDs(uc.components[kind]) {
			r := ref{kind: kind, id: id}
			if _, done := infos[r]; done {
				continue
			}
			info, err := lookupRef(cat, r)
			if err != nil {
				return nil, fmt.Errorf("%s::%s: %w", kind.section(), q(id.String()), err)
			}
			infos[r] = info
		}
	}
	if err := checkConnectorCycles(uc); err != nil {
		return nil, err
	}
	return infos, nil
}

func (p pipelineSpec) all() []ref {
	out := make([]ref, 0, len(p.receivers)+len(p.processors)+len(p.exporters))
	out = append(out, p.receivers...)
	out = append(out, p.processors...)
	return append(out, p.exporters...)
}

func lookupRef(cat *Catalog, r ref) (ComponentInfo, error) {
	info, ok := cat.lookup(r.kind, r.id.typ)
	if !ok {
		return ComponentInfo{}, fmt.Errorf("%s: type %q is known to neither the Go nor the Rust runtime%s",
			r, r.id.typ, typeHint(cat, r.kind, r.id.typ))
	}
	if r.kind == Connector && info.Runtime != Go {
		return ComponentInfo{}, fmt.Errorf("%s: type %q is a Rust connector; connectors run only in the Go half", r, r.id.typ)
	}
	return info, nil
}

// typeHint points at the renaming rule, the most likely cause of an unknown type.
func typeHint(cat *Catalog, kind Kind, typ string) string {
	if info, ok := cat.lookup(kind, rustPrefix+typ); ok && info.Runtime == Rust {
		return fmt.Sprintf(" (the Rust %s is exposed as %q)", kind, info.Type)
	}
	if trimmed, ok := strings.CutPrefix(typ, rustPrefix); ok {
		if info, ok := cat.lookup(kind, trimmed); ok && info.Runtime == Rust {
			return fmt.Sprintf(" (the Rust %s is exposed as %q)", kind, info.Type)
		}
	}
	return ""
}

// checkConnectorPairs applies the collector's rule: every pipeline feeding a
// connector has at least one supported pipeline behind it, and vice versa.
func checkConnectorPairs(uc *userConfig, infos map[ref]ComponentInfo) error {
	asExporter, asReceiver := connectorUses(uc)
	for _, id := range sortedCompIDs(uc.components[Connector]) {
		r := ref{kind: Connector, id: id}
		info := infos[r]
		for _, from := range asExporter[id] {
			if !anyPair(asReceiver[id], func(to pipeID) bool { return info.supportsPair(from.signal, to.signal) }) {
				return fmt.Errorf("service::pipelines::%s: %s: used as exporter but no %s pipeline it supports uses it as receiver",
					q(from.String()), r, pairTargets(info, from.signal))
			}
		}
		for _, to := range asReceiver[id] {
			if !anyPair(asExporter[id], func(from pipeID) bool { return info.supportsPair(from.signal, to.signal) }) {
				return fmt.Errorf("service::pipelines::%s: %s: used as receiver but no pipeline it supports uses it as exporter",
					q(to.String()), r)
			}
		}
	}
	return nil
}

func pairTargets(info ComponentInfo, from string) string {
	var out []string
	for _, s := range signals {
		if info.supportsPair(from, s) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return "(none for " + from + ")"
	}
	return strings.Join(out, "/")
}

func anyPair(ids []pipeID, ok func(pipeID) bool) bool {
	for _, id := range ids {
		if ok(id) {
			return true
		}
	}
	return false
}

// connectorUses maps each connector to the pipelines using it on each side.
func connectorUses(uc *userConfig) (asExporter, asReceiver map[compID][]pipeID) {
	asExporter, asReceiver = map[compID][]pipeID{}, map[compID][]pipeID{}
	for _, p := range uc.pipelines {
		for _, r := range p.exporters {
			if r.kind == Connector {
				asExporter[r.id] = append(asExporter[r.id], p.id)
			}
		}
		for _, r := range p.receivers {
			if r.kind == Connector {
				asReceiver[r.id] = append(asReceiver[r.id], p.id)
			}
		}
	}
	return asExporter, asReceiver
}

// checkConnectorCycles refuses loops through connectors, which the collector
// refuses too; the partitioner's own path reasoning assumes a DAG.
func checkConnectorCycles(uc *userConfig) error {
	_, asReceiver := connectorUses(uc)
	next := map[pipeID][]pipeID{}
	for _, p := range uc.pipelines {
		for _, r := range p.exporters {
			if r.kind == Connector {
				next[p.id] = append(next[p.id], asReceiver[r.id]...)
			}
		}
	}
	const (
		unseen = iota
		active
		done
	)
	state := map[pipeID]int{}
	var stack []pipeID
	var visit func(id pipeID) error
	visit = func(id pipeID) error {
		state[id] = active
		stack = append(stack, id)
		for _, n := range next[id] {
			switch state[n] {
			case active:
				var loop []string
				for i := len(stack) - 1; i >= 0; i-- {
					loop = append([]string{q(stack[i].String())}, loop...)
					if stack[i] == n {
						break
					}
				}
				return fmt.Errorf("service::pipelines::%s: connectors form a cycle: %s -> %s",
					q(n.String()), strings.Join(loop, " -> "), q(n.String()))
			case unseen:
				if err := visit(n); err != nil {
					return err
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[id] = done
		return nil
	}
	for _, p := range uc.pipelines {
		if state[p.id] == unseen {
			if err := visit(p.id); err != nil {
				return err
			}
		}
	}
	return nil
}

func signalList(s []string) string {
	if len(s) == 0 {
		return "no signal"
	}
	return strings.Join(s, ", ")
}

func sortedCompIDs(m map[compID]component) []compID {
	keys := make([]string, 0, len(m))
	byKey := map[string]compID{}
	for id := range m {
		keys = append(keys, id.String())
		byKey[id.String()] = id
	}
	sortStrings(keys)
	out := make([]compID, len(keys))
	for i, k := range keys {
		out[i] = byKey[k]
	}
	return out
}
