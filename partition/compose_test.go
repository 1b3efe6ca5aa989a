package partition

import (
	"fmt"
	"slices"
	"strings"
)

// This file is an independent reader of generated configs: it knows the
// collector's pipeline semantics, not the partitioner's internals. It turns a
// config (or two halves joined by their bridges) into the multiset of data
// paths: signal, receiver, processors…, exporter, followed through connectors.

type viewPipeline struct {
	id                               string
	signal                           string
	receivers, processors, exporters []string
}

// halfView is one collector config as the checker reads it.
type halfView struct {
	rt         Runtime
	pipelines  []viewPipeline
	sections   map[Kind]map[string]any
	userType   func(kind Kind, typ string) (string, bool) // type in this config → user-facing type
	bridgeRecv map[string]string                          // bridge receiver id → listener target
	bridgeExp  map[string]string                          // bridge exporter id → dial target
	placed     map[string]bool                            // receiver ids the user wrote for a Go type, run here
}

func readHalf(rt Runtime, cfg map[string]any, cat *Catalog, isBridgeHalf bool) (*halfView, error) {
	h := &halfView{rt: rt, sections: map[Kind]map[string]any{}, bridgeRecv: map[string]string{}, bridgeExp: map[string]string{}, placed: map[string]bool{}}
	for _, k := range pipelineKinds {
		m, _ := cfg[k.section()].(map[string]any)
		if m == nil {
			m = map[string]any{}
		}
		h.sections[k] = m
	}
	byNative := map[string]string{}
	for _, info := range cat.Components() {
		if info.Runtime == rt {
			byNative[string(info.Kind)+"|"+info.native()] = info.Type
		}
	}
	h.userType = func(kind Kind, typ string) (string, bool) {
		u, ok := byNative[string(kind)+"|"+typ]
		return u, ok
	}
	if isBridgeHalf {
		recvType, expType := goBridgeReceiverType, goBridgeExporterType
		if rt == Rust {
			recvType, expType = rustBridgeReceiverType, rustBridgeExporterType
		}
		for id, c := range h.sections[Receiver] {
			if typ, name, _ := strings.Cut(id, "/"); typ == recvType && strings.HasPrefix(name, "bridge_") {
				h.bridgeRecv[id] = listenTarget(c)
			} else if typ == inProcessBridgeType && strings.HasPrefix(name, "bridge_") {
				h.bridgeRecv[id] = "in-process:" + name // the name pairs in-process ends
			}
		}
		for id, c := range h.sections[Exporter] {
			if typ, name, _ := strings.Cut(id, "/"); typ == expType && strings.HasPrefix(name, "bridge_") {
				m, _ := c.(map[string]any)
				h.bridgeExp[id], _ = m["endpoint"].(string)
			} else if typ == inProcessBridgeType && strings.HasPrefix(name, "bridge_") {
				h.bridgeExp[id] = "in-process:" + name
			}
		}
	}
	service, _ := cfg["service"].(map[string]any)
	pipes, _ := service["pipelines"].(map[string]any)
	for _, id := range sortedKeys(pipes) {
		pm, _ := pipes[id].(map[string]any)
		sig, _, _ := strings.Cut(id, "/")
		p := viewPipeline{id: id, signal: sig}
		p.receivers, _ = asStringList(pm["receivers"], id)
		p.processors, _ = asStringList(pm["processors"], id)
		p.exporters, _ = asStringList(pm["exporters"], id)
		if len(p.receivers) == 0 || len(p.exporters) == 0 {
			return nil, fmt.Errorf("%s half: pipeline %s lacks receivers or exporters", rt, id)
		}
		h.pipelines = append(h.pipelines, p)
	}
	return h, nil
}

// listenTarget reads a receiver's gRPC listener the way a client would dial it.
func listenTarget(c any) string {
	m, _ := c.(map[string]any)
	protos, _ := m["protocols"].(map[string]any)
	grpc, _ := protos["grpc"].(map[string]any)
	ep, _ := grpc["endpoint"].(string)
	if grpc["transport"] == "unix" {
		return "unix://" + ep
	}
	return ep
}

// checkRuntimes verifies every component of a half is a type of that runtime
// (or a bridge end) and every pipeline reference is defined.
func (h *halfView) checkRuntimes() error {
	for _, k := range pipelineKinds {
		for id := range h.sections[k] {
			if (k == Receiver && h.bridgeRecv[id] != "") || (k == Exporter && h.bridgeExp[id] != "") {
				continue
			}
			typ, _, _ := strings.Cut(id, "/")
			if _, ok := h.userType(k, typ); !ok {
				return fmt.Errorf("%s half: %s %s is not a %s component", h.rt, k, id, h.rt)
			}
		}
	}
	for _, p := range h.pipelines {
		for _, r := range p.receivers {
			if !h.has(Receiver, r) && !h.has(Connector, r) {
				return fmt.Errorf("%s half: pipeline %s: receiver %s undefined", h.rt, p.id, r)
			}
		}
		for _, r := range p.processors {
			if !h.has(Processor, r) {
				return fmt.Errorf("%s half: pipeline %s: processor %s undefined", h.rt, p.id, r)
			}
		}
		for _, r := range p.exporters {
			if !h.has(Exporter, r) && !h.has(Connector, r) {
				return fmt.Errorf("%s half: pipeline %s: exporter %s undefined", h.rt, p.id, r)
			}
		}
	}
	return nil
}

func (h *halfView) has(k Kind, id string) bool { _, ok := h.sections[k][id]; return ok }

// user maps an id of this half to the id the user wrote.
func (h *halfView) user(k Kind, id string) string {
	if k == Receiver && h.placed[id] {
		return id // a placed Go receiver keeps the user's id
	}
	typ, name, hasName := strings.Cut(id, "/")
	u, ok := h.userType(k, typ)
	if !ok {
		u = "?" + typ
	}
	if hasName {
		return u + "/" + name
	}
	return u
}

// system is one or two halves; bridges join them by listener target.
type system struct{ halves []*halfView }

// paths enumerates every data path once per way the data really travels.
func (s system) paths(cat *Catalog) (map[string]int, error) {
	// Every bridge target must have exactly one receiving pipeline and one sender.
	type dest struct {
		h *halfView
		p viewPipeline
	}
	targets := map[string][]dest{}
	senders := map[string]int{}
	for _, h := range s.halves {
		for _, p := range h.pipelines {
			for _, r := range p.receivers {
				if t, ok := h.bridgeRecv[r]; ok {
					targets[t] = append(targets[t], dest{h, p})
				}
			}
			for _, e := range p.exporters {
				if t, ok := h.bridgeExp[e]; ok {
					senders[t]++
				}
			}
		}
	}
	for t, ds := range targets {
		if len(ds) != 1 || senders[t] != 1 {
			return nil, fmt.Errorf("bridge %s: %d receiving pipelines, %d sending pipelines; want 1 and 1", t, len(ds), senders[t])
		}
	}
	for t := range senders {
		if len(targets[t]) == 0 {
			return nil, fmt.Errorf("bridge %s: nobody listens", t)
		}
	}
	out := map[string]int{}
	var walk func(h *halfView, p viewPipeline, prefix []string, depth int) error
	walk = func(h *halfView, p viewPipeline, prefix []string, depth int) error {
		if depth > 64 {
			return fmt.Errorf("loop through %s pipeline %s", h.rt, p.id)
		}
		path := slices.Clone(prefix)
		for _, pr := range p.processors {
			path = append(path, "P:"+h.user(Processor, pr))
		}
		for _, e := range p.exporters {
			switch {
			case h.bridgeExp[e] != "":
				d := targets[h.bridgeExp[e]][0]
				if d.p.signal != p.signal {
					return fmt.Errorf("bridge %s changes signal %s → %s", e, p.signal, d.p.signal)
				}
				if d.h.rt == h.rt {
					return fmt.Errorf("bridge %s stays inside the %s half", e, h.rt)
				}
				if err := walk(d.h, d.p, path, depth+1); err != nil {
					return err
				}
			case h.has(Connector, e):
				typ, _, _ := strings.Cut(e, "/")
				info, _ := cat.lookup(Connector, typ)
				for _, q := range h.pipelines {
					if slices.Contains(q.receivers, e) && info.supportsPair(p.signal, q.signal) {
						next := append(slices.Clone(path), "C:"+e, "S:"+q.signal)
						if err := walk(h, q, next, depth+1); err != nil {
							return err
						}
					}
				}
			default:
				out[strings.Join(append(slices.Clone(path), "E:"+h.user(Exporter, e)), " ")]++
			}
		}
		return nil
	}
	for _, h := range s.halves {
		for _, p := range h.pipelines {
			for _, r := range p.receivers {
				if h.bridgeRecv[r] != "" || h.has(Connector, r) {
					continue
				}
				if err := walk(h, p, []string{"S:" + p.signal, "R:" + h.user(Receiver, r)}, 0); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

// checkComposition is the core property: the two halves joined by their
// bridges carry exactly the user's paths, each exactly once, and every
// component runs in its own runtime.
func checkComposition(user map[string]any, res *Result, cat *Catalog) error {
	orig, err := readHalf(Go, user, catalogAsOneRuntime(cat), false)
	if err != nil {
		return fmt.Errorf("user config: %w", err)
	}
	want, err := system{[]*halfView{orig}}.paths(cat)
	if err != nil {
		return fmt.Errorf("user config: %w", err)
	}
	goH, err := readHalf(Go, res.Go, cat, true)
	if err != nil {
		return err
	}
	s := system{[]*halfView{goH}}
	if res.Rust != nil {
		rustH, err := readHalf(Rust, res.Rust, cat, true)
		if err != nil {
			return err
		}
		if err := rustH.readPlacements(res, cat); err != nil {
			return err
		}
		s.halves = append(s.halves, rustH)
	}
	for _, h := range s.halves {
		if err := h.checkRuntimes(); err != nil {
			return err
		}
	}
	got, err := s.paths(cat)
	if err != nil {
		return err
	}
	for p, n := range want {
		if got[p] != n {
			return fmt.Errorf("path %q: %d times in the halves, %d in the user config", p, got[p], n)
		}
	}
	for p, n := range got {
		if want[p] == 0 {
			return fmt.Errorf("path %q: %d times in the halves, never in the user config", p, n)
		}
	}
	if err := checkConfigsTravel(user, res, cat); err != nil {
		return err
	}
	if len(res.Bridges) != len(goH.bridgeExp)+len(goH.bridgeRecv) {
		return fmt.Errorf("Result.Bridges has %d entries, the Go half %d bridge ends", len(res.Bridges), len(goH.bridgeExp)+len(goH.bridgeRecv))
	}
	return nil
}

// catalogAsOneRuntime lets readHalf read the user's config: every user-facing
// type maps to itself.
func catalogAsOneRuntime(cat *Catalog) *Catalog {
	one := &Catalog{byType: map[catalogKey]ComponentInfo{}}
	for k, info := range cat.byType {
		info.Runtime = Go
		info.NativeType = ""
		one.byType[k] = info
	}
	return one
}

// checkConfigsTravel: each used component's settings arrive unchanged in its
// runtime's half, under its native id there (receivers may only gain
// include_metadata; queued Rust exporters behind a bridge may gain
// sending_queue.wait_for_result and lose sending_queue.storage to the Go
// bridge's queue, see queues.go; they are compared without those).
func checkConfigsTravel(user map[string]any, res *Result, cat *Catalog) error {
	for _, k := range []Kind{Receiver, Processor, Exporter} {
		sec, _ := user[k.section()].(map[string]any)
		for id, cfg := range sec {
			typ, name, hasName := strings.Cut(id, "/")
			info, ok := cat.lookup(k, typ)
			if !ok {
				return fmt.Errorf("user %s %s: unknown type", k, id)
			}
			if k == Receiver && placedIn(res, id) == Rust {
				// Settings are rewritten into the Rust receiver's form
				// (placement tests check that form); here only where it runs.
				goSec, _ := res.Go[k.section()].(map[string]any)
				var rustSec map[string]any
				if res.Rust != nil {
					rustSec, _ = res.Rust[k.section()].(map[string]any)
				}
				if hasKey(goSec, id) || !hasKey(rustSec, id) {
					return fmt.Errorf("receiver %s: placed in Rust but not (only) in the Rust half", id)
				}
				continue
			}
			half, nid := res.Go, id
			if info.Runtime == Rust && res.Rust == nil {
				continue // no pipeline uses Rust: unused Rust components are dropped (doc.go)
			}
			if info.Runtime == Rust {
				half, nid = res.Rust, info.native()
				if hasName {
					nid += "/" + name
				}
			}
			hsec, _ := half[k.section()].(map[string]any)
			got, present := hsec[nid]
			if !present {
				return fmt.Errorf("%s %s: missing from the %s half as %s", k, id, info.Runtime, nid)
			}
			if k == Receiver {
				got, cfg = withoutIncludeMetadata(got), withoutIncludeMetadata(cfg)
			}
			if k == Exporter {
				got, cfg = withoutQueueRewrites(got), withoutQueueRewrites(cfg)
			}
			if !equalConfigs(got, cfg) {
				return fmt.Errorf("%s %s: settings changed on the way to the %s half", k, id, info.Runtime)
			}
		}
	}
	return nil
}

func withoutQueueRewrites(v any) any {
	c := deepCopy(v)
	m, _ := c.(map[string]any)
	if q, ok := m["sending_queue"].(map[string]any); ok {
		delete(q, "wait_for_result")
		delete(q, "storage")
		if len(q) == 0 {
			delete(m, "sending_queue")
		}
	}
	if len(m) == 0 {
		return nil
	}
	return c
}

func withoutIncludeMetadata(v any) any {
	c := deepCopy(v)
	m, _ := c.(map[string]any)
	protos, _ := m["protocols"].(map[string]any)
	for p, pc := range protos {
		if pm, ok := pc.(map[string]any); ok {
			delete(pm, "include_metadata")
			if len(pm) == 0 {
				protos[p] = nil
			}
		}
	}
	return c
}

// placedIn is the runtime Result.Placements gives a receiver ("" if none).
func placedIn(res *Result, id string) Runtime {
	for _, p := range res.Placements {
		if p.Receiver == id {
			return p.Runtime
		}
	}
	return ""
}

// readPlacements marks the Rust half's receivers that are the user's Go
// receivers, checking each against the catalog: a Go type a Rust receiver
// can stand in for, under the user's id.
func (h *halfView) readPlacements(res *Result, cat *Catalog) error {
	for _, p := range res.Placements {
		if p.Runtime != Rust {
			continue
		}
		typ, _, _ := strings.Cut(p.Receiver, "/")
		info, ok := cat.lookup(Receiver, typ)
		if !ok || info.Runtime != Go {
			return fmt.Errorf("placement %q: %s is not a Go receiver type", p, typ)
		}
		if !h.has(Receiver, p.Receiver) {
			return fmt.Errorf("placement %q: the Rust half has no receiver %s", p, p.Receiver)
		}
		h.placed[p.Receiver] = true
	}
	return nil
}
