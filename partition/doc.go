// Package partition splits one user collector config into a Go half and a
// Rust half joined by OTLP/gRPC bridges. It is pure and deterministic: same input, same bytes out;
// the only I/O is WriteFiles.
//
// # Names
//
// The user writes user-facing types from the Catalog (a Rust type whose
// native name a Go type of the same kind owns is exposed as "rust_<native>").
// The Rust half is written with native types: rust_otlp/in → otlp/in.
//
// # How a pipeline is cut (split.go)
//
// Each user pipeline is cut into parts, each a pipeline of one runtime: the
// processor chain in maximal same-runtime segments, plus an entry part for
// receivers of the other runtime and an exit part for exporters of the other
// runtime. Consecutive parts are joined by a bridge: exporter
// otlp_grpc/bridge_<N> (Go) or otlp_rust/bridge_<N> (Rust) on one side,
// receiver otlp/bridge_<N> on the other. In each half the first part keeps
// the user's pipeline id; later parts are "<id>.part<k>" (k = position in
// flow order over both halves). Receivers and exporters shared between
// pipelines stay shared; connectors (Go only) stay in the Go parts, so the
// collector's own fan-out/fan-in through them is unchanged. The property
// test checks that every user path (signal, receiver, processors…, exporter,
// through connectors) exists exactly once in the composed halves.
//
// # One socket per crossing, not one socket with routing
//
// Every bridge has its own listener (b<N>.sock, or a loopback port):
//   - Routing is by construction: a bridge receiver sits in exactly one
//     pipeline, so data can only enter the right downstream part. A shared
//     socket would need a routing key in request metadata and a routing
//     component on both sides, neither of which stock OTLP components have;
//     one misrouted or duplicated request is silent data loss.
//   - Both ends stay stock, operator-readable otlp components.
//   - Backpressure, retries and errors of one crossing never block another.
//
// The cost is one file descriptor and one listener per crossing, small next
// to the pipelines themselves.
//
// # Bridge settings (bridges.go)
//
// goBridgeExporterConfig is the one place deciding how Go sends over a
// bridge (retry on, no sending queue so it sends synchronously, timeout, no
// compression, insecure local transport); queues.go then gives the Go
// bridge exporters in front of queued Rust exporters the user's
// sending_queue (storage included), so what the Go half acknowledges is held
// by the parent, and makes those Rust exporters answer after delivery
// (docs/queues.md). Go receivers whose data reaches a
// Go → Rust bridge get include_metadata: true in each configured protocol
// unless the user set it; Rust exporters forward all metadata
// (forward_metadata: ["*"]); Go bridge receivers include metadata.
//
// # Receiver placement (placement.go)
//
// A bridge costs a decode and an encode on each side, so a Go receiver whose
// every pipeline continues only with Rust components is better run in the
// Rust half when a Rust receiver implements its settings identically: the
// Go otlp receiver runs as the Rust otlp receiver, on the same endpoints and
// under the user's id (otlp/in stays otlp/in), and its pipelines need no
// bridge. "Identically" is a whitelist (placement_otlp.go): only settings
// listed there, with Go's meaning; the Go receiver's defaults are written out
// in full so the Rust receiver's own defaults never matter. Any other key,
// a Go component after the receiver in any of its pipelines, a signal the
// Rust receiver lacks, or a Rust receiver of the user's already holding that
// id keeps it in Go. Result.Placements gives one line per Go receiver that
// feeds Rust, naming the reason either way; Options.KeepReceiversInGo turns
// placement off. Placement only changes a receiver's runtime before the
// split, so the cutting, naming and composition rules below are unchanged.
//
// # What each half contains
//
//   - Go half: the user's config untouched except: Rust components and
//     receivers placed in Rust removed, bridge ends added,
//     service.pipelines replaced by the Go parts. Unused Go
//     components stay (as the collector keeps them). An all-Rust config gives
//     an empty service.pipelines (the collector needs the
//     service.AllowNoPipelines feature gate to run it).
//   - Rust half: Rust components (native names), placed receivers (the
//     user's ids, the Rust receiver's settings), bridge ends, and
//     extensions.health_check on h.sock with service.extensions
//     [health_check]. It exists only when some pipeline uses a Rust
//     component; then unused Rust components go there too, otherwise they are
//     dropped (no child process just to hold unused components).
package partition
