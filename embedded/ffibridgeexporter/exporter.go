//go:build cgo && otelcol_embedded

package ffibridgeexporter

import (
	"context"
	"errors"
	"fmt"

	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/mem"

	"github.com/otelcol-hybrid/otelcol-hybrid/embedded/ffi"
	"github.com/otelcol-hybrid/otelcol-hybrid/extension/bridgectxext"
)

// bridgeExporter pushes one request into the Rust half; exporterhelper
// around it gives timeout, retry and the exporter's own telemetry, exactly
// as around the gRPC bridge exporter.
type bridgeExporter struct {
	bridge string
	signal ffi.Signal
	// The crossing's client span, as otelgrpc records one around the gRPC
	// bridge's call: the Rust receiver's server span is its child, so a
	// trace reads the same in both modes.
	tracer   trace.Tracer
	spanName string
	attrs    trace.SpanStartEventOption
}

func newExporter(set exporter.Settings, signal ffi.Signal) *bridgeExporter {
	return &bridgeExporter{
		bridge:   set.ID.Name(),
		signal:   signal,
		tracer:   set.TracerProvider.Tracer("github.com/otelcol-hybrid/otelcol-hybrid/embedded/ffibridgeexporter"),
		spanName: "ffi_bridge/" + set.ID.Name() + "/" + signal.String(),
		attrs: trace.WithAttributes(attribute.String("otelcol.component.id", set.ID.String()),
			attribute.String("rpc.system", "otelcol_ffi")),
	}
}

func (e *bridgeExporter) pushTraces(ctx context.Context, td ptrace.Traces) error {
	if sent, err := e.sendReceived(ctx, td); sent {
		return err
	}
	b, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
	return e.send(ctx, b, err)
}

func (e *bridgeExporter) pushMetrics(ctx context.Context, md pmetric.Metrics) error {
	if sent, err := e.sendReceived(ctx, md); sent {
		return err
	}
	b, err := (&pmetric.ProtoMarshaler{}).MarshalMetrics(md)
	return e.send(ctx, b, err)
}

func (e *bridgeExporter) pushLogs(ctx context.Context, ld plog.Logs) error {
	if sent, err := e.sendReceived(ctx, ld); sent {
		return err
	}
	b, err := (&plog.ProtoMarshaler{}).MarshalLogs(ld)
	return e.send(ctx, b, err)
}

// sendReceived sends data as the bytes the user's receiver decoded it from,
// when the request still holds them for exactly this data (see
// bridgectxext.ReceivedBytes): pdata's encoding is then not needed. sent is
// false when it could not, or when Rust refused those bytes before running
// them (the caller then sends pdata's encoding, which Rust trusts).
func (e *bridgeExporter) sendReceived(ctx context.Context, data any) (sent bool, err error) {
	bufs, release, ok := bridgectxext.ReceivedBytes(ctx, data)
	if !ok {
		return false, nil
	}
	defer release()
	var b []byte
	if len(bufs) == 1 {
		b = bufs[0].ReadOnlyData()
	} else {
		whole := bufs.MaterializeToBuffer(mem.DefaultBufferPool())
		defer whole.Free()
		b = whole.ReadOnlyData()
	}
	err = e.cross(ctx, b, ffi.ConsumeAsReceived)
	var fe *ffi.Error
	if errors.As(err, &fe) && bridgectxext.IsRawRefusal(fe.GRPCCode, fe.Message) {
		return false, nil
	}
	return true, consumerError(err)
}

// send crosses into Rust. TracesData and the OTLP export request share
// their wire form (field 1, the resource list), so the bytes are what an
// OTLP/gRPC client would send.
func (e *bridgeExporter) send(ctx context.Context, data []byte, marshalErr error) error {
	if marshalErr != nil {
		return consumererror.NewPermanent(fmt.Errorf("encoding for the Rust half: %w", marshalErr))
	}
	return consumerError(e.cross(ctx, data, ffi.Consume))
}

// cross makes one call into Rust under the crossing's client span; the
// error is Rust's, as the call returned it.
func (e *bridgeExporter) cross(ctx context.Context, data []byte, call func(context.Context, string, ffi.Signal, []byte) error) error {
	ctx, span := e.tracer.Start(ctx, e.spanName, trace.WithSpanKind(trace.SpanKindClient), e.attrs)
	defer span.End()
	err := call(ctx, e.bridge, e.signal, data)
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
	}
	return err
}

// consumerError is Rust's error as the exporter helper reads it
// (permanent, retryable, throttled).
func consumerError(err error) error {
	var fe *ffi.Error
	if errors.As(err, &fe) {
		return fe.ConsumerError()
	}
	return err
}
