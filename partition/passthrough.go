package partition

import (
	"slices"
	"strings"
)

// Pass-through at a Go → Rust crossing: a request a user's OTLP/gRPC receiver
// decoded can cross as the bytes its client sent, instead of being encoded
// again from pdata, when nothing in Go can have changed it on the way. The
// Go half's middleware (opts.GoBridgeMiddleware, as a gRPC server
// middleware of the receiver) keeps those bytes for the request's life, and
// the bridge exporter sends them only for the very message the receiver
// decoded (bridgectxext/passthrough.go).
//
// That is safe for a Go part that starts at user receivers (no connector,
// whose data may come from a pipeline that changed it in place) and runs no
// processor of its own before its bridge exporters: the collector's fan-out
// hands a read-only consumer the decoded message itself only when no
// mutating consumer gets it too (those get clones).

// A bridge exporter with a sending queue (planQueues moves a Rust exporter's
// acknowledge-on-enqueue queue there) sends after the receiver's handler has
// returned, when the bytes are gone back to gRPC's buffer pool. For the parts
// that feed such a bridge, the bridge processor (the last Go consumer before
// the queue) is an instance told to keep the bytes: they then live as long as
// the queued request's context, and are garbage collected with it instead of
// returning to the pool.

// keepReceivedSetting is the bridge processor's setting for that.
const keepReceivedSetting = "keep_received_bytes"

// holdingProcessor is the id of the bridge processor instance that keeps the
// received bytes: bridge_cancel becomes bridge_cancel/keep_received.
func holdingProcessor(id string) string {
	if typ, name, named := strings.Cut(id, "/"); named {
		return typ + "/" + name + "_keep_received"
	}
	return id + "/keep_received"
}

// holdingParts are the pass-through Go parts (see passThroughReceivers) that
// feed at least one bridge whose Go exporter queues.
func holdingParts(plans []*pipelinePlan, bridges []Bridge, qp *queuePlan) map[*part]bool {
	out := map[*part]bool{}
	for _, pl := range plans {
		for _, pt := range pl.parts {
			if !passThroughPart(pt) || !slices.ContainsFunc(pt.receivers, func(r ref) bool { return r.id.typ == "otlp" }) {
				continue
			}
			for _, l := range pt.out {
				if qp.goBridge[bridges[pl.bridges[l]].Name] != nil {
					out[pt] = true
				}
			}
		}
	}
	return out
}

// passThroughPart is a Go part that starts at user receivers and has nothing
// of its own before its bridges.
func passThroughPart(pt *part) bool {
	return pt.rt == Go && len(pt.out) > 0 && len(pt.processors) == 0 && onlyReceivers(pt.receivers)
}

// passThroughReceivers are the user's Go otlp receivers that start a Go part
// with nothing between them and a bridge.
func passThroughReceivers(plans []*pipelinePlan) map[ref]bool {
	out := map[ref]bool{}
	for _, pl := range plans {
		for _, pt := range pl.parts {
			if !passThroughPart(pt) {
				continue
			}
			for _, r := range pt.receivers {
				if r.id.typ == "otlp" {
					out[r] = true
				}
			}
		}
	}
	return out
}

func onlyReceivers(refs []ref) bool {
	for _, r := range refs {
		if r.kind != Receiver {
			return false
		}
	}
	return true
}

// addGRPCMiddleware lists middleware among the grpc protocol's middlewares
// of an otlp receiver's config (the Go half's private copy), after the
// user's own.
func addGRPCMiddleware(cfg any, middleware string) any {
	pm := receiverProtocols(cfg)
	if pm == nil {
		return cfg
	}
	v, present := pm["grpc"]
	if !present {
		return cfg
	}
	grpc, ok := v.(map[string]any)
	if v == nil {
		grpc, ok = map[string]any{}, true
		pm["grpc"] = grpc
	}
	if !ok {
		return cfg
	}
	list, ok := grpc["middlewares"].([]any)
	if !ok && grpc["middlewares"] != nil {
		return cfg // not a list: the collector reports it as the user wrote it
	}
	for _, e := range list {
		if em, _ := e.(map[string]any); em != nil && em["id"] == middleware {
			return cfg
		}
	}
	grpc["middlewares"] = append(list, map[string]any{"id": middleware})
	return cfg
}
