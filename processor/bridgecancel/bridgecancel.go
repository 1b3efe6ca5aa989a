// Package bridgecancel is the bridge_cancel processor the partitioner puts
// last in every Go pipeline that feeds a Go→Rust bridge. It cancels the
// requests still waiting on the Rust half when the collector starts to shut
// down, so that shutdown is prompt and the Rust work is abandoned at once.
//
// Why a processor: the bridge exporter waits for the Rust half's answer (it
// sends synchronously, without a sending queue) so a client is acknowledged
// only after delivery, and it retries retryable failures. On SIGTERM the Go receivers'
// graceful stop waits for their in-flight requests, and nothing cancels those:
// a slow Rust half held shutdown for as long as the bridge retried. Only the
// request's own context can end both the wait and the retry loop, and a
// processor is the last place the Go half hands that context on.
//
// Which requests: only those whose context can be cancelled, i.e. a
// synchronous caller (a receiver handler) is still waiting for the answer and
// will report the failure to its client, which retries; nothing acknowledged
// is lost. A context that cannot be cancelled belongs to data a Go component
// already acknowledged and now flushes on its own (the batch processor's
// shutdown flush): it is left to drain, as in the Go collector.
//
// Being the last Go consumer before the bridge exporter, it also keeps the
// bytes the user's receiver got (bridge_context's pass-through) for a bridge
// exporter that queues, when the partitioner sets keep_received_bytes.
package bridgecancel

import (
	"context"
	"errors"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/otelcol-hybrid/otelcol-hybrid/extension/bridgectxext"
)

// canceller is the part every signal shares.
type canceller struct {
	stopping     context.Context // cancelled when the service starts stopping
	keepReceived bool            // Config.KeepReceivedBytes
}

func newCanceller(cfg component.Config) canceller {
	c, _ := cfg.(*Config)
	return canceller{keepReceived: c != nil && c.KeepReceivedBytes}
}

// Start finds the bridge_context extension, which learns of shutdown from the
// service's status events.
func (c *canceller) Start(_ context.Context, host component.Host) error {
	id := component.NewID(bridgectxext.Type)
	ext, ok := host.GetExtensions()[id]
	if !ok {
		return fmt.Errorf("processor %s needs the %s extension in service::extensions", Type, id)
	}
	n, ok := ext.(bridgectxext.ShutdownNotifier)
	if !ok {
		return fmt.Errorf("processor %s: extension %s does not report shutdown", Type, id)
	}
	c.stopping = n.ShuttingDown()
	return nil
}

func (*canceller) Shutdown(context.Context) error { return nil }

func (*canceller) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: false}
}

// run calls next with ctx cancelled once shutdown begins, when a caller is
// waiting on ctx (see the package comment).
func (c *canceller) run(ctx context.Context, next func(context.Context) error) error {
	if c.keepReceived {
		// The last Go consumer before a queued bridge exporter: the queue
		// sends after the receiver's handler returned (Config).
		bridgectxext.KeepReceived(ctx)
	}
	if c.stopping == nil || ctx.Done() == nil {
		return next(ctx)
	}
	if c.stopping.Err() != nil {
		return shuttingDown(context.Cause(c.stopping))
	}
	inner, cancel := context.WithCancelCause(ctx)
	unhook := context.AfterFunc(c.stopping, func() { cancel(context.Cause(c.stopping)) })
	err := next(inner)
	unhook()
	cancel(nil)
	if err != nil && errors.Is(context.Cause(inner), bridgectxext.ErrShuttingDown) && ctx.Err() == nil {
		return shuttingDown(err)
	}
	return err
}

// shuttingDown is what the receiver tells its client: Unavailable, which
// OTLP clients retry (HTTP 503), with the reason in the message.
func shuttingDown(err error) error {
	return status.Errorf(codes.Unavailable, "request cancelled, the collector is shutting down (retry elsewhere or later): %v", err)
}

type traces struct {
	canceller
	next consumer.Traces
}

func (p *traces) ConsumeTraces(ctx context.Context, td ptrace.Traces) error {
	return p.run(ctx, func(ctx context.Context) error { return p.next.ConsumeTraces(ctx, td) })
}

type metrics struct {
	canceller
	next consumer.Metrics
}

func (p *metrics) ConsumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	return p.run(ctx, func(ctx context.Context) error { return p.next.ConsumeMetrics(ctx, md) })
}

type logs struct {
	canceller
	next consumer.Logs
}

func (p *logs) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	return p.run(ctx, func(ctx context.Context) error { return p.next.ConsumeLogs(ctx, ld) })
}
