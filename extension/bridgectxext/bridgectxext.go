// Package bridgectxext is the gRPC client middleware of the Go bridge
// exporters. It carries the request context the Go receiver saw across the
// process boundary, so a Rust component sees the request as a Go one would:
//   - every client.Metadata key and all its values (include_metadata on the
//     receiver puts them there) become outgoing gRPC metadata;
//   - `:authority` and `user-agent` cannot be sent as ordinary metadata (gRPC
//     sets its own), so they travel as x-otelcol-hybrid-authority /
//     x-otelcol-hybrid-user-agent and the Rust receiver restores them;
//   - the W3C trace context of the request becomes `traceparent`/`tracestate`.
//
// Deadlines need nothing: gRPC sends the context deadline as grpc-timeout.
// Static credentials would not do: PerRPCCredentials carries one value per key.
//
// The extension also watches component status: the first StatusStopping the
// service reports (receivers stop first) marks the start of shutdown, and
// ShuttingDown's context is cancelled then. The bridge_cancel processor uses
// it to cancel requests still waiting on the Rust half, which the receivers'
// graceful stop would otherwise wait on for as long as the bridge retries.
//
// Both directions of every bridge are authenticated with the process's
// bridge secret (secret.go): the exporters' middleware sends it, and the
// extension is the Go bridge receivers' server authenticator.
package bridgectxext

import (
	"context"
	"encoding/hex"
	"errors"
	"strings"
	"sync"

	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/extension/extensionmiddleware"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// Type is the extension's type name; the partitioner references it from every
// Go bridge exporter's `middlewares`.
var Type = component.MustNewType("bridge_context")

// Header names for the values gRPC reserves for itself.
const (
	AuthorityHeader = "x-otelcol-hybrid-authority"
	UserAgentHeader = "x-otelcol-hybrid-user-agent"
)

// ErrShuttingDown is the cause of ShuttingDown's cancellation.
var ErrShuttingDown = errors.New("the collector is shutting down")

// ShutdownNotifier is what the bridge_cancel processor looks the extension up as.
type ShutdownNotifier interface {
	// ShuttingDown is cancelled, with cause ErrShuttingDown, when the service
	// starts stopping its components.
	ShuttingDown() context.Context
}

type middleware struct {
	stopping context.Context
	stop     context.CancelCauseFunc // idempotent
	secret   func() string
}

func newMiddleware(secret func() string) *middleware {
	m := &middleware{secret: secret}
	m.stopping, m.stop = context.WithCancelCause(context.Background())
	return m
}

var (
	_ extensionmiddleware.GRPCClient = (*middleware)(nil)
	_ extensionmiddleware.GRPCServer = (*middleware)(nil)
	_ componentstatus.Watcher        = (*middleware)(nil)
	_ ShutdownNotifier               = (*middleware)(nil)
)

func (*middleware) Start(context.Context, component.Host) error { return nil }

// Shutdown also ends ShuttingDown, for hosts that report no status events.
func (m *middleware) Shutdown(context.Context) error {
	m.stop(ErrShuttingDown)
	return nil
}

func (m *middleware) ShuttingDown() context.Context { return m.stopping }

// ComponentStatusChanged is called synchronously by the service before each
// component's Shutdown, receivers first; Stopping is reported only then.
func (m *middleware) ComponentStatusChanged(_ *componentstatus.InstanceID, ev *componentstatus.Event) {
	if ev.Status() == componentstatus.StatusStopping {
		m.stop(ErrShuttingDown)
	}
}

func (m *middleware) GetGRPCClientOptions(context.Context) ([]grpc.DialOption, error) {
	return []grpc.DialOption{
		grpc.WithUnaryInterceptor(unaryInterceptor),
		grpc.WithPerRPCCredentials(SecretCredentials(SecretHeader, m.secret())),
	}, nil
}

// mdPool recycles the outgoing metadata maps, the largest part of a
// transferred context (a 13-entry map is ~700 bytes). Safe for unary calls
// only: gRPC reads the map while creating the stream (retries included),
// inside invoker, and copies what it keeps (hpack fields, otelgrpc's inject).
var mdPool = sync.Pool{New: func() any { return make(metadata.MD, 16) }}

func unaryInterceptor(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	if nothingToCarry(ctx) {
		return invoke(ctx, method, req, reply, cc, invoker, opts)
	}
	md := mdPool.Get().(metadata.MD)
	err := invoke(outgoing(ctx, md), method, req, reply, cc, invoker, opts)
	clear(md)
	mdPool.Put(md)
	return err
}

// invoke sends req as the bytes it was received as when it can (see
// passthrough.go), and as pdata encodes it otherwise.
func invoke(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts []grpc.CallOption) error {
	if sent, err := invokeRaw(ctx, method, req, reply, cc, invoker, opts); sent {
		return err
	}
	return invoker(ctx, method, req, reply, cc, opts...)
}

// nothingToCarry: a request without client metadata and without a trace
// context (the receiver's include_metadata off, no traceparent): the outgoing
// metadata would be what ctx already has, so the call goes out as it is,
// without the map and the context that carrying costs.
func nothingToCarry(ctx context.Context) bool {
	if trace.SpanContextFromContext(ctx).IsValid() {
		return false
	}
	for range client.FromContext(ctx).Metadata.Keys() {
		return false
	}
	return true
}

// reserved are keys gRPC owns on the wire; forwarding them would be refused
// or silently replaced. A client's own SecretHeader would arrive next to the
// real one, and a request with two values is refused. The HTTP framing and hop-by-hop headers an OTLP/HTTP
// receiver puts into client.Metadata describe the caller's HTTP body, not the
// bridge's gRPC stream: a forwarded content-length makes the Rust (h2) server
// reset the stream with PROTOCOL_ERROR, so every OTLP/HTTP request failed.
var reserved = map[string]bool{
	"content-type": true, "te": true, "grpc-timeout": true, "grpc-encoding": true,
	"grpc-accept-encoding": true, "grpc-message-type": true, "grpc-status": true,
	"grpc-message": true, "grpc-status-details-bin": true, "connection": true,
	"host": true, ":path": true, ":method": true, ":scheme": true,
	"content-length": true, "content-encoding": true, "transfer-encoding": true,
	"keep-alive": true, "proxy-connection": true, "upgrade": true, "trailer": true,
	SecretHeader: true,
}

// Outgoing returns ctx with the request's client metadata and trace context
// appended to its outgoing gRPC metadata.
func Outgoing(ctx context.Context) context.Context {
	return outgoing(ctx, nil)
}

// outgoing fills out (a new map when nil) with ctx's outgoing metadata plus
// the transferred context. It runs once per bridge request, so it formats
// traceparent itself: the propagation API (fmt, a carrier) cost as much
// memory again.
func outgoing(ctx context.Context, out metadata.MD) context.Context {
	info := client.FromContext(ctx)
	sc := trace.SpanContextFromContext(ctx)
	if out == nil {
		n := 2 // traceparent, tracestate
		for range info.Metadata.Keys() {
			n++
		}
		out = make(metadata.MD, n)
	}
	// Headers the exporter set (none on a bridge unless the operator adds them).
	if prev, ok := metadata.FromOutgoingContext(ctx); ok {
		for k, v := range prev {
			out[k] = v
		}
	}
	for key := range info.Metadata.Keys() { // keys are lower case already
		k := key
		switch {
		case k == ":authority":
			k = AuthorityHeader
		case k == "user-agent":
			k = UserAgentHeader
		case reserved[k] || strings.HasPrefix(k, ":"):
			continue
		}
		// Metadata the exporter set itself (static headers) wins over the
		// caller's: it is operator configuration.
		if _, set := out[k]; set {
			continue
		}
		out[k] = info.Metadata.Get(key) // a fresh copy
	}
	if sc.IsValid() {
		out["traceparent"] = []string{traceparent(sc)}
		if ts := sc.TraceState().String(); ts != "" {
			out["tracestate"] = []string{ts}
		} else {
			delete(out, "tracestate") // the caller's belongs to another parent
		}
	}
	return metadata.NewOutgoingContext(ctx, out)
}

// traceparent formats a W3C traceparent (version 00) in one allocation.
func traceparent(sc trace.SpanContext) string {
	var b [55]byte // 00-<32 hex trace id>-<16 hex span id>-<2 hex flags>
	tid, sid, flags := sc.TraceID(), sc.SpanID(), [1]byte{byte(sc.TraceFlags())}
	copy(b[:], "00-")
	hex.Encode(b[3:35], tid[:])
	b[35] = '-'
	hex.Encode(b[36:52], sid[:])
	b[52] = '-'
	hex.Encode(b[53:55], flags[:])
	return string(b[:])
}
