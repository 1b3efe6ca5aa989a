package partition

import (
	"fmt"
	"strings"
)

// The component types a bridge is made of. They are the stock OTLP
// components of each runtime, so operators can read the generated configs.
const (
	goBridgeExporterType   = "otlp_grpc" // Go otlpexporter's v0.162 type ("otlp" is its deprecated alias)
	goBridgeReceiverType   = "otlp"      // Go otlpreceiver
	rustBridgeReceiverType = "otlp"      // native Rust otlp receiver
	rustBridgeExporterType = "otlp_rust" // native Rust OTLP/gRPC client
)

// inProcessBridgeType is both ends of a crossing in embedded mode, in both
// runtimes: a Go exporter calling into the linked Rust library and a Go
// receiver it calls back, and their Rust counterparts. The component name
// (bridge_<N>) is what pairs the two ends, and the request's own context
// carries deadline, cancellation, metadata and trace context.
const inProcessBridgeType = "ffi_bridge"

func inProcessBridgeConfig(address) map[string]any { return map[string]any{} }

// inProcessBridgeExporterConfig: timeout and retry_on_failure as on the
// gRPC bridge (see goBridgeExporterConfig), so a crossing bounds and retries
// a request the same way in both modes.
func inProcessBridgeExporterConfig(_ address, opts Options) map[string]any {
	return map[string]any{"timeout": opts.BridgeTimeout.String(), "retry_on_failure": map[string]any{"enabled": true}}
}

// bridgeName is the component name shared by both ends of bridge n.
func bridgeName(n int) string { return fmt.Sprintf("bridge_%d", n) }

// goBridgeExporterConfig is THE place deciding how Go sends over a bridge.
// The hop must be invisible to deadlines, cancellation, metadata, trace
// context and error semantics:
//
//   - tls.insecure: the socket lives in a 0700 directory only we can reach.
//
//   - compression none: gzip on a local socket only burns CPU on both sides.
//
//   - timeout: see DefaultBridgeTimeout.
//
//   - retry_on_failure on: rides out a Rust child restart.
//
//   - sending_queue off here: the exporter sends in the caller's goroutine, as a
//     plain synchronous Go exporter does, so the caller gets the downstream
//     result (permanent vs retryable errors, backpressure), its own context
//     (deadline, cancellation, client metadata, trace context) reaches the
//     gRPC call untouched, and requests of different clients are never
//     merged. A queue with wait_for_result gave the same answers but handed
//     every request to a consumer goroutine and back, work a plain exporter
//     does not do; concurrency stays bounded by the callers (receiver
//     streams, batch processor workers). When the Rust exporters behind the
//     bridge ask for a queue that acknowledges on enqueue, planQueues
//     (queues.go) gives this exporter that queue instead, so acknowledged
//     data lives in the parent (docs/queues.md).
//
//   - middlewares: opts.GoBridgeMiddleware forwards client metadata (all
//     values of every key) and trace context; the Go OTLP exporter does not.
func goBridgeExporterConfig(a address, opts Options) map[string]any {
	cfg := map[string]any{
		"endpoint":    a.target,
		"tls":         map[string]any{"insecure": true},
		"compression": "none",
		"timeout":     opts.BridgeTimeout.String(),
		"retry_on_failure": map[string]any{
			"enabled": true,
		},
		"sending_queue": map[string]any{"enabled": false},
	}
	if opts.GoBridgeMiddleware != "" {
		cfg["middlewares"] = []any{map[string]any{"id": opts.GoBridgeMiddleware}}
	}
	return cfg
}

// bridgeMaxRecvMiB is what the receiving end of every bridge accepts, in both
// directions. Both otlp receivers default to 4 MiB, but the data was already
// admitted by the user's receiver (whose limit may be larger) and may grow
// when re-encoded: the hop in between must not refuse it.
const bridgeMaxRecvMiB = 64

// GoBridgeAuthenticator is the id of the Go extension every Go bridge
// receiver authenticates with (`auth: {authenticator: …}`): an
// extensionauth.Server that accepts only requests carrying the bridge
// secret, which the Rust bridge exporters send (bridge_secret). The caller
// defines it in the Go half; the distribution's bridge_context is it.
//
// Every bridge over a listener is authenticated in both directions, over
// unix sockets as over loopback TCP: one code path, and a socket's 0700
// directory is then a second fence rather than the only one. The Rust ends
// get the secret on the child's stdin from whoever starts it.
const GoBridgeAuthenticator = "bridge_context"

// goBridgeReceiverConfig is the Go end of a Rust → Go bridge.
func goBridgeReceiverConfig(a address) map[string]any {
	grpc := map[string]any{
		"endpoint":              a.target,
		"include_metadata":      true, // the Rust exporter forwards client metadata as headers
		"max_recv_msg_size_mib": bridgeMaxRecvMiB,
		"auth":                  map[string]any{"authenticator": GoBridgeAuthenticator},
	}
	if a.path != "" {
		grpc["endpoint"] = a.path
		grpc["transport"] = "unix"
	}
	return map[string]any{"protocols": map[string]any{"grpc": grpc}}
}

// rustBridgeReceiverConfig is the Rust end of a Go → Rust bridge.
// include_metadata: the Rust receiver, like Go's, hands client metadata to
// the pipeline only when asked, and a bridge exists to carry it across.
// validated_sender: its one client is the Go half, which decoded and
// re-encoded every request; checking the items' contents again would cost
// CPU and refuse what Go accepted (strings that are not UTF-8).
// bridge_secret: only requests carrying the bridge secret are served (see
// GoBridgeAuthenticator); the Go bridge exporters' middleware sends it.
func rustBridgeReceiverConfig(a address) map[string]any {
	return map[string]any{"protocols": map[string]any{"grpc": map[string]any{
		"endpoint": a.target, "max_recv_msg_size_mib": bridgeMaxRecvMiB, "include_metadata": true,
		"validated_sender": true, "bridge_secret": true,
	}}}
}

// rustBridgeExporterConfig is the Rust end of a Rust → Go bridge; same
// reasoning as goBridgeExporterConfig. forward_metadata ["*"] forwards every
// client metadata key (docs/interfaces.md); bridge_secret sends the bridge
// secret the Go bridge receiver requires.
func rustBridgeExporterConfig(a address, opts Options) map[string]any {
	return map[string]any{
		"bridge_secret":    true,
		"endpoint":         a.target,
		"tls":              map[string]any{"insecure": true},
		"compression":      "none",
		"timeout":          opts.BridgeTimeout.String(),
		"forward_metadata": []any{"*"},
		"retry_on_failure": map[string]any{"enabled": true},
		"sending_queue":    map[string]any{"enabled": false},
	}
}

// rustHealthConfig is the Rust half's readiness endpoint (grpc.health.v1),
// which answers only the holder of the bridge secret (the supervisor): a
// foreign process must not be able to read, or fake, the child's state.
func rustHealthConfig(a address) map[string]any {
	return map[string]any{"endpoint": a.target, "bridge_secret": true}
}

// goMade lists the Go components the partitioner adds for bridges (see
// Result.GoMade): the Go end of each bridge, and the bridge processor of the
// Go pipelines that end in a bridge exporter.
func goMade(uc *userConfig, bridges []Bridge, opts Options, holding bool) map[Kind][]string {
	ends := goBridgeEnds
	if opts.InProcess {
		ends = inProcessBridgeEnds
	}
	made := map[Kind][]string{}
	toRust := false
	for _, b := range bridges {
		if b.From == Go {
			toRust = true
			made[Exporter] = append(made[Exporter], compID{ends.exporterType, b.Name}.String())
		}
		if b.To == Go {
			made[Receiver] = append(made[Receiver], compID{ends.receiverType, b.Name}.String())
		}
	}
	if toRust && opts.GoBridgeProcessor != "" {
		if !userHasProcessor(uc, opts.GoBridgeProcessor) {
			made[Processor] = append(made[Processor], opts.GoBridgeProcessor)
		}
		if keep := holdingProcessor(opts.GoBridgeProcessor); holding && !userHasProcessor(uc, keep) {
			made[Processor] = append(made[Processor], keep)
		}
	}
	return made
}

// userHasProcessor tells whether the user's config defines the processor id.
func userHasProcessor(uc *userConfig, id string) bool {
	typ, name, _ := strings.Cut(id, "/")
	_, ok := uc.components[Processor][compID{typ, name}]
	return ok
}

// GoBridgeTypes are the types a bridge's Go end can have, by kind, in either
// mode: the types of every bridge id Result.GoMade can name (the bridge
// processor aside, whose id the caller chooses).
func GoBridgeTypes() map[Kind][]string {
	return map[Kind][]string{
		Exporter: {goBridgeExporterType, inProcessBridgeType},
		Receiver: {goBridgeReceiverType, inProcessBridgeType},
	}
}
