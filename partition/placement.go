package partition

import (
	"fmt"
	"slices"
	"strings"
)

// Placement is the partitioner's decision about one Go receiver that feeds
// Rust components: run it in the Rust half (no bridge) or keep it in Go.
type Placement struct {
	Receiver string  // the user's id, which it keeps in either half
	Runtime  Runtime // Rust when placed there
	Reason   string
}

// String is the one line the `partition` subcommand and the start-up log print.
func (p Placement) String() string {
	if p.Runtime == Rust {
		return fmt.Sprintf("receiver %s runs in the Rust half: %s", q(p.Receiver), p.Reason)
	}
	return fmt.Sprintf("receiver %s stays in Go: %s", q(p.Receiver), p.Reason)
}

// placeRule says which Rust receiver can stand in for a Go receiver type, and
// how the Go settings translate: rustConfig returns the Rust receiver's
// settings with the Go receiver's meaning, or the first setting (a path such
// as "protocols.grpc.tls") the Rust receiver does not implement identically.
type placeRule struct {
	rustNative string
	rustConfig func(cfg any) (rust map[string]any, unsupported string)
}

// placeableReceivers lists the Go receiver types a Rust receiver implements.
// A type missing here always stays in Go.
var placeableReceivers = map[string]placeRule{
	"otlp": {rustNative: "otlp", rustConfig: otlpReceiverForRust},
}

// placedReceiver is one receiver moved to the Rust half.
type placedReceiver struct {
	info ComponentInfo  // the Rust receiver it runs as
	cfg  map[string]any // its settings in the Rust receiver's form
}

// placeReceivers decides, for every Go receiver of a placeable type that is
// in a pipeline with a Rust component, whether it runs in Rust. A placed
// receiver's infos entry becomes the Rust receiver's, so splitting sees a
// Rust receiver and builds no bridge for it.
func placeReceivers(uc *userConfig, cat *Catalog, infos map[ref]ComponentInfo, opts Options) ([]Placement, map[ref]placedReceiver) {
	var out []Placement
	placed := map[ref]placedReceiver{}
	for _, id := range sortedCompIDs(uc.components[Receiver]) {
		r := ref{kind: Receiver, id: id}
		rule, ok := placeableReceivers[id.typ]
		if !ok || infos[r].Runtime != Go {
			continue
		}
		var pipes []pipelineSpec
		feedsRust := false
		for _, p := range uc.pipelines {
			if !slices.Contains(p.receivers, r) {
				continue
			}
			pipes = append(pipes, p)
			for _, c := range after(p) {
				feedsRust = feedsRust || infos[c].Runtime == Rust
			}
		}
		if !feedsRust {
			continue // all Go (or unused): nothing to decide, nothing to say
		}
		reason, info, cfg := placeOne(uc, cat, infos, r, rule, pipes, opts)
		if reason != "" {
			out = append(out, Placement{Receiver: id.String(), Runtime: Go, Reason: reason})
			continue
		}
		placed[r] = placedReceiver{info: info, cfg: cfg}
		infos[r] = info
		names := make([]string, len(pipes))
		for i, p := range pipes {
			names[i] = q(p.id.String())
		}
		out = append(out, Placement{Receiver: id.String(), Runtime: Rust,
			Reason: fmt.Sprintf("every pipeline after it is Rust (%s), no bridge", strings.Join(names, ", "))})
	}
	return out, placed
}

// placeOne returns why r stays in Go, or the Rust receiver and settings it runs with.
func placeOne(uc *userConfig, cat *Catalog, infos map[ref]ComponentInfo, r ref, rule placeRule,
	pipes []pipelineSpec, opts Options) (string, ComponentInfo, map[string]any) {
	if opts.KeepReceiversInGo {
		return "receiver placement is off", ComponentInfo{}, nil
	}
	info, ok := cat.nativeInfo(Receiver, Rust, rule.rustNative)
	if !ok {
		return fmt.Sprintf("the Rust half has no %s receiver", q(rule.rustNative)), ComponentInfo{}, nil
	}
	for _, p := range pipes {
		for _, c := range after(p) {
			if infos[c].Runtime != Rust {
				return fmt.Sprintf("pipeline %s continues with Go %s %s", q(p.id.String()), c.kind, q(c.id.String())), ComponentInfo{}, nil
			}
		}
		for _, e := range p.exporters {
			if storage := userQueue(uc, e)["storage"]; e.kind == Exporter && storage != nil && queuedRustExporters[infos[e].native()] {
				// A persistent queue is the Go bridge exporter's (queues.go):
				// in the Rust half the receiver would feed it with no Go queue.
				return fmt.Sprintf("exporter %s asks for sending_queue.storage %s, a persistent queue only the Go side of a bridge holds",
					q(e.id.String()), q(fmt.Sprint(storage))), ComponentInfo{}, nil
			}
		}
		if !info.supports(p.id.signal) {
			return fmt.Sprintf("pipeline %s carries %s, which the Rust %s receiver does not support",
				q(p.id.String()), p.id.signal, q(rule.rustNative)), ComponentInfo{}, nil
		}
	}
	cfg, unsupported := rule.rustConfig(uc.components[Receiver][r.id].cfg)
	if unsupported != "" {
		return fmt.Sprintf("%s is not implemented by the Rust %s receiver", unsupported, q(rule.rustNative)), ComponentInfo{}, nil
	}
	// Under its own id in the Rust half: refuse to take an id a Rust
	// receiver of the user's already has there (otlp/x and rust_otlp/x).
	native := r.id.withType(info.native())
	for other := range uc.components[Receiver] {
		o := ref{kind: Receiver, id: other}
		if oi := infos[o]; o != r && oi.Runtime == Rust && other.withType(oi.native()) == native {
			return fmt.Sprintf("the Rust half already has receiver %s (the user's %s)", q(native.String()), q(other.String())), ComponentInfo{}, nil
		}
	}
	return "", info, cfg
}

// after is what a pipeline runs after its receivers.
func after(p pipelineSpec) []ref {
	return append(slices.Clone(p.processors), p.exporters...)
}

// nativeInfo finds a runtime's component by its native type.
func (c *Catalog) nativeInfo(kind Kind, rt Runtime, native string) (ComponentInfo, bool) {
	for _, info := range c.Components() {
		if info.Kind == kind && info.Runtime == rt && info.native() == native {
			return info, true
		}
	}
	return ComponentInfo{}, false
}
