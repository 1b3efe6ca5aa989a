package bridgecancel

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/otelcol-hybrid/otelcol-hybrid/extension/bridgectxext"
)

type host map[component.ID]component.Component

func (h host) GetExtensions() map[component.ID]component.Component { return h }

// blockingSink stands in for the bridge exporter waiting on the Rust half: it
// returns only when its context ends or release is closed.
type blockingSink struct {
	entered chan struct{}
	release chan struct{}
}

func (s *blockingSink) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }
func (s *blockingSink) ConsumeMetrics(ctx context.Context, _ pmetric.Metrics) error {
	s.entered <- struct{}{}
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-s.release:
		return nil
	}
}

func setup(t *testing.T) (processor.Metrics, *blockingSink, componentstatus.Watcher) {
	t.Helper()
	ext, err := bridgectxext.NewFactory().Create(context.Background(), extensiontest.NewNopSettings(bridgectxext.Type), &struct{}{})
	if err != nil {
		t.Fatal(err)
	}
	sink := &blockingSink{entered: make(chan struct{}, 4), release: make(chan struct{})}
	p, err := NewFactory().CreateMetrics(context.Background(), processortest.NewNopSettings(Type), &struct{}{}, sink)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(context.Background(), host{component.NewID(bridgectxext.Type): ext}); err != nil {
		t.Fatal(err)
	}
	return p, sink, ext.(componentstatus.Watcher)
}

func stopping(w componentstatus.Watcher) {
	w.ComponentStatusChanged(&componentstatus.InstanceID{}, componentstatus.NewEvent(componentstatus.StatusStopping))
}

func TestShutdownCancelsWaitingRequestsWithUnavailable(t *testing.T) {
	p, sink, w := setup(t)
	ctx, cancel := context.WithCancel(context.Background()) // a receiver handler's context
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.ConsumeMetrics(ctx, pmetric.NewMetrics()) }()
	<-sink.entered

	w.ComponentStatusChanged(&componentstatus.InstanceID{}, componentstatus.NewEvent(componentstatus.StatusStarting))
	select {
	case err := <-done:
		t.Fatalf("a status other than Stopping ended the request: %v", err)
	case <-time.After(20 * time.Millisecond):
	}

	stopping(w)
	var err error
	select {
	case err = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting request was not cancelled when shutdown began")
	}
	st, _ := status.FromError(err)
	if st.Code() != codes.Unavailable || !strings.Contains(st.Message(), "shutting down") {
		t.Fatalf("got %v, want Unavailable saying the collector is shutting down", err)
	}

	// Requests arriving after shutdown began fail at once, without reaching the bridge.
	if err := p.ConsumeMetrics(ctx, pmetric.NewMetrics()); status.Code(err) != codes.Unavailable {
		t.Fatalf("request after shutdown began: %v, want Unavailable", err)
	}
	if len(sink.entered) != 0 {
		t.Fatal("a request after shutdown began reached the bridge")
	}
}

// TestShutdownLeavesAcknowledgedFlushesAlone: a context nobody can cancel is
// a component flushing data it already acknowledged (the batch processor):
// cancelling it would lose that data.
func TestShutdownLeavesAcknowledgedFlushesAlone(t *testing.T) {
	p, sink, w := setup(t)
	stopping(w)
	done := make(chan error, 1)
	go func() { done <- p.ConsumeMetrics(context.Background(), pmetric.NewMetrics()) }()
	<-sink.entered
	select {
	case err := <-done:
		t.Fatalf("a detached flush was cut short: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(sink.release)
	if err := <-done; err != nil {
		t.Fatalf("flush: %v", err)
	}
}

// TestCallerCancellationKeepsItsOwnError: only shutdown is reported as
// Unavailable; a caller's own cancellation stays context.Canceled.
func TestCallerCancellationKeepsItsOwnError(t *testing.T) {
	p, sink, _ := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.ConsumeMetrics(ctx, pmetric.NewMetrics()) }()
	<-sink.entered
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) || status.Code(err) == codes.Unavailable {
		t.Fatalf("got %v, want the caller's context.Canceled", err)
	}
}

func TestStartNamesTheMissingExtension(t *testing.T) {
	p, err := NewFactory().CreateMetrics(context.Background(), processortest.NewNopSettings(Type), &struct{}{}, &blockingSink{})
	if err != nil {
		t.Fatal(err)
	}
	err = p.Start(context.Background(), host{})
	if err == nil || !strings.Contains(err.Error(), "needs the bridge_context extension in service::extensions") {
		t.Fatalf("Start without the extension: %v", err)
	}
	f := extensiontest.NewNopFactory()
	other, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), f.CreateDefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	err = p.Start(context.Background(), host{component.NewID(bridgectxext.Type): other})
	if err == nil || !strings.Contains(err.Error(), "does not report shutdown") {
		t.Fatalf("Start with a foreign extension: %v", err)
	}
}
