package bridgectxext

import (
	"context"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
)

// Pass-through: a request that reaches a Go bridge exporter exactly as the
// user's OTLP/gRPC receiver decoded it is sent on as the bytes that receiver
// got, instead of being encoded again from pdata (8 % of the Go half's CPU
// in BenchmarkGoHalf; decoding, which stays, is most of the rest).
//
// The receiving side (this extension as a gRPC server middleware of the
// user's otlp receiver) keeps the request's bytes, decoded as usual, until
// the handler returns, and puts them in the request's context next to the
// decoded message they belong to. The sending side (the bridge exporter's
// client interceptor) sends those bytes only when the message it is asked
// to send is that very decoded message (pointer identity): the partitioner
// attaches the server middleware only to receivers of Go pipelines that
// have no processor of their own and no connector as a receiver, and the
// collector's fan-out never hands a message that a mutating consumer may
// change to a read-only one (it clones for the mutating ones), so the same
// pointer means the same content. Anything else (a clone, a batch, a request
// sent after the handler returned by a queue the bytes were not kept for,
// see KeepReceived) falls back to pdata's encoding.
//
// Go's decoder read such bytes, so the Rust end checks them as it checks
// pdata's encoding: their framing down to the items. Strings that are not
// UTF-8 cross either way, as an all-Go collector forwards them. What that
// check refuses and Go accepted (a field of the deprecated group wire type,
// which Go skips) is sent again, encoded from pdata.

// RawContentSubtype marks a request sent as the bytes a client sent (the
// content-type application/grpc+otelcol-hybrid-raw); the Rust bridge
// receiver counts their framing, as for pdata's encoding.
const RawContentSubtype = "otelcol-hybrid-raw"

// RawRefusalPrefix starts the message of the InvalidArgument with which the
// Rust bridge receiver refuses such bytes before anything ran them; only
// that answer is resent encoded from pdata.
const RawRefusalPrefix = "invalid OTLP "

// IsRawRefusal tells the Rust end's refusal of a client's bytes (given
// before anything ran them, so they may be sent again as pdata encodes
// them) from any other answer, over a socket bridge or in process.
func IsRawRefusal(code codes.Code, message string) bool {
	return code == codes.InvalidArgument && strings.HasPrefix(message, RawRefusalPrefix)
}

// received holds a request's bytes while anyone may still send them.
type received struct {
	msg  any // the message the bytes were decoded into
	data mem.BufferSlice
	refs atomic.Int32 // the handler's, plus one per send in progress
}

func (r *received) acquire() bool {
	for {
		n := r.refs.Load()
		if n <= 0 {
			return false
		}
		if r.refs.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

func (r *received) release() {
	if r.refs.Add(-1) == 0 {
		r.data.Free()
	}
}

// KeepReceived keeps the received bytes ctx carries (if any) for as long as
// something holds them, however long after the receiver's handler returned:
// for a queue between the receiver and the bridge exporter, which keeps the
// request's context with it. The reference taken is never given back, so
// the buffers are garbage collected with the last holder instead of
// returning to gRPC's pool. Call it before the handler returns.
func KeepReceived(ctx context.Context) {
	if r := receivedFrom(ctx); r != nil {
		r.acquire()
	}
}

type receivedKey struct{}

func receivedFrom(ctx context.Context) *received {
	r, _ := ctx.Value(receivedKey{}).(*received)
	return r
}

// exportRequestTypes are the message types the three OTLP Export handlers
// decode into: pdata's own, unexported, and the first field of each
// signal's ExportRequest (reflect may read a field's type, not its value).
var exportRequestTypes = sync.OnceValue(func() map[reflect.Type]bool {
	return map[reflect.Type]bool{
		firstFieldType(ptraceotlp.NewExportRequest()):  true,
		firstFieldType(pmetricotlp.NewExportRequest()): true,
		firstFieldType(plogotlp.NewExportRequest()):    true,
	}
})

func firstFieldType(v any) reflect.Type { return reflect.TypeOf(v).Field(0).Type }

// pending maps a decoded export request to its bytes between the codec's
// Unmarshal and the unary interceptor, which run one after the other in the
// handler (gRPC decodes before it calls interceptors).
var pending sync.Map

// capturingCodec is the user receiver's codec: pdata's, plus keeping the
// bytes of an export request.
type capturingCodec struct{ proto encoding.CodecV2 }

func (c capturingCodec) Name() string                           { return c.proto.Name() }
func (c capturingCodec) Marshal(v any) (mem.BufferSlice, error) { return c.proto.Marshal(v) }

func (c capturingCodec) Unmarshal(data mem.BufferSlice, v any) error {
	if err := c.proto.Unmarshal(data, v); err != nil {
		return err
	}
	if exportRequestTypes()[reflect.TypeOf(v)] {
		data.Ref() // gRPC frees data when Unmarshal returns
		r := &received{msg: v, data: data}
		r.refs.Store(1)
		pending.Store(v, r)
	}
	return nil
}

// keepReceived puts the request's bytes in the handler's context and frees
// them once the handler and every send using them are done.
func keepReceived(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	v, ok := pending.LoadAndDelete(req)
	if !ok {
		return handler(ctx, req)
	}
	r := v.(*received)
	defer r.release()
	return handler(context.WithValue(ctx, receivedKey{}, r), req)
}

// GetGRPCServerOptions makes the extension the pass-through middleware of a
// user's OTLP/gRPC receiver (see above).
func (*middleware) GetGRPCServerOptions(context.Context) ([]grpc.ServerOption, error) {
	return []grpc.ServerOption{
		grpc.ForceServerCodecV2(capturingCodec{proto: encoding.GetCodecV2("proto")}),
		grpc.ChainUnaryInterceptor(keepReceived),
	}, nil
}

// rawRequest is a request to send as the bytes it was received as.
type rawRequest struct{ data mem.BufferSlice }

// rawCodec sends a rawRequest's bytes and decodes the answer as pdata does.
type rawCodec struct{ proto encoding.CodecV2 }

func (rawCodec) Name() string { return RawContentSubtype }

func (c rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	if r, ok := v.(rawRequest); ok {
		r.data.Ref() // gRPC frees what Marshal returns once it is written
		return r.data, nil
	}
	return c.proto.Marshal(v)
}

func (c rawCodec) Unmarshal(data mem.BufferSlice, v any) error { return c.proto.Unmarshal(data, v) }

var sendRaw = sync.OnceValue(func() grpc.CallOption {
	return grpc.ForceCodecV2(rawCodec{proto: encoding.GetCodecV2("proto")})
})

// invokeRaw sends req as its received bytes when ctx holds them and req is
// the message they were decoded into; sent reports whether it did.
func invokeRaw(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts []grpc.CallOption) (sent bool, err error) {
	r := receivedFrom(ctx)
	if r == nil || r.msg != req || !r.acquire() {
		return false, nil
	}
	defer r.release()
	err = invoker(ctx, method, rawRequest{r.data}, reply, cc, append(opts[:len(opts):len(opts)], sendRaw())...)
	if st, ok := status.FromError(err); ok && IsRawRefusal(st.Code(), st.Message()) {
		return false, nil // refused before it ran: send pdata's encoding
	}
	return true, err
}

// ReceivedBytes returns the bytes the user's receiver decoded td from (a
// ptrace.Traces, pmetric.Metrics or plog.Logs), when ctx carries them for
// exactly that data (see above), with the function that gives them back; ok
// is false otherwise. The in-process bridge exporter sends them this way.
// The comparison reads the pdata wrapper's first field, the decoded message
// (reflect reads an unexported pointer, it does not dereference it); the
// tests pin that layout to the pdata version in go.mod.
func ReceivedBytes(ctx context.Context, td any) (data mem.BufferSlice, release func(), ok bool) {
	r := receivedFrom(ctx)
	if r == nil {
		return nil, nil, false
	}
	w := reflect.ValueOf(td)
	if w.Kind() != reflect.Struct || w.NumField() == 0 || w.Field(0).Kind() != reflect.Pointer ||
		w.Field(0).Pointer() != reflect.ValueOf(r.msg).Pointer() || !r.acquire() {
		return nil, nil, false
	}
	return r.data, r.release, true
}
