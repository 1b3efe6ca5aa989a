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

	"github.com/otelcol-hybrid/otelcol-hybrid/embedded/ffi"
)

// bridgeExporter pushes one request into the Rust half; exporterhelper
// around it gives timeout, retry and the exporter's own telemetry, exactly
// as around the gRPC bridge exporter.
type bridgeExporter struct {
	bridge string
	signal ffi.Signal
}

func newExporter(set exporter.Settings, signal ffi.Signal) *bridgeExporter {
	return &bridgeExporter{bridge: set.ID.Name(), signal: signal}
}

func (e *bridgeExporter) pushTraces(ctx context.Context, td ptrace.Traces) error {
	b, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
	return e.send(ctx, b, err)
}

func (e *bridgeExporter) pushMetrics(ctx context.Context, md pmetric.Metrics) error {
	b, err := (&pmetric.ProtoMarshaler{}).MarshalMetrics(md)
	return e.send(ctx, b, err)
}

func (e *bridgeExporter) pushLogs(ctx context.Context, ld plog.Logs) error {
	b, err := (&plog.ProtoMarshaler{}).MarshalLogs(ld)
	return e.send(ctx, b, err)
}

// send crosses into Rust. TracesData and the OTLP export request share
// their wire form (field 1, the resource list), so the bytes are what an
// OTLP/gRPC client would send.
func (e *bridgeExporter) send(ctx context.Context, data []byte, marshalErr error) error {
	if marshalErr != nil {
		return consumererror.NewPermanent(fmt.Errorf("encoding for the Rust half: %w", marshalErr))
	}
	err := ffi.Consume(ctx, e.bridge, e.signal, data)
	var fe *ffi.Error
	if errors.As(err, &fe) {
		return fe.ConsumerError()
	}
	return err
}
