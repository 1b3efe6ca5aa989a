//go:build cgo && otelcol_embedded

package ffibridgereceiver

import (
	"context"
	"fmt"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-hybrid/otelcol-hybrid/embedded/ffi"
)

// bridgeReceiver serves one bridge, which carries one signal (the
// partitioner makes one bridge per crossing).
type bridgeReceiver struct {
	bridge  string
	traces  consumer.Traces
	metrics consumer.Metrics
	logs    consumer.Logs

	mu         sync.Mutex
	unregister func()
}

func (r *bridgeReceiver) Start(context.Context, component.Host) error {
	unregister, err := ffi.RegisterExport(r.bridge, r.consume)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.unregister = unregister
	r.mu.Unlock()
	return nil
}

func (r *bridgeReceiver) Shutdown(context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.unregister != nil {
		r.unregister()
		r.unregister = nil
	}
	return nil
}

// consume decodes a request Rust sent and passes it down the pipeline.
// A request that does not decode is the sender's fault: permanent.
func (r *bridgeReceiver) consume(ctx context.Context, signal ffi.Signal, data []byte) error {
	switch {
	case signal == ffi.SignalTraces && r.traces != nil:
		td, err := (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(data)
		if err != nil {
			return consumererror.NewPermanent(fmt.Errorf("decoding traces from the Rust half: %w", err))
		}
		return r.traces.ConsumeTraces(ctx, td)
	case signal == ffi.SignalMetrics && r.metrics != nil:
		md, err := (&pmetric.ProtoUnmarshaler{}).UnmarshalMetrics(data)
		if err != nil {
			return consumererror.NewPermanent(fmt.Errorf("decoding metrics from the Rust half: %w", err))
		}
		return r.metrics.ConsumeMetrics(ctx, md)
	case signal == ffi.SignalLogs && r.logs != nil:
		ld, err := (&plog.ProtoUnmarshaler{}).UnmarshalLogs(data)
		if err != nil {
			return consumererror.NewPermanent(fmt.Errorf("decoding logs from the Rust half: %w", err))
		}
		return r.logs.ConsumeLogs(ctx, ld)
	}
	return consumererror.NewPermanent(fmt.Errorf("bridge %s does not carry signal %d", r.bridge, signal))
}
