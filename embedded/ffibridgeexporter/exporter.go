//go:build cgo && otelcol_embedded

package ffibridgeexporter

import (
	"context"
	"errors"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-hybrid/otelcol-hybrid/embedded/ffi"
)

// bridgeExporter sends synchronously in the caller's goroutine, with no
// queue and no retry of its own, like the gRPC bridge exporter (sending
// queue off): the caller's context reaches Rust untouched and the caller
// gets the Rust pipeline's own answer. There is no child to restart, so
// nothing to ride out by retrying here.
type bridgeExporter struct {
	bridge string
	signal ffi.Signal
}

var (
	_ exporter.Traces  = (*bridgeExporter)(nil)
	_ exporter.Metrics = (*bridgeExporter)(nil)
	_ exporter.Logs    = (*bridgeExporter)(nil)
)

func newExporter(set exporter.Settings, signal ffi.Signal) *bridgeExporter {
	return &bridgeExporter{bridge: set.ID.Name(), signal: signal}
}

func (*bridgeExporter) Start(context.Context, component.Host) error { return nil }
func (*bridgeExporter) Shutdown(context.Context) error              { return nil }

func (*bridgeExporter) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: false}
}

func (e *bridgeExporter) ConsumeTraces(ctx context.Context, td ptrace.Traces) error {
	b, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
	return e.send(ctx, b, err)
}

func (e *bridgeExporter) ConsumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	b, err := (&pmetric.ProtoMarshaler{}).MarshalMetrics(md)
	return e.send(ctx, b, err)
}

func (e *bridgeExporter) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
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
