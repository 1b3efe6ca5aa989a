//go:build cgo && otelcol_embedded

package ffi

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/otel/trace"
)

// tenKeys is the context the costs are measured with: ten metadata keys
// and a sampled trace context, as on the gRPC bridge's measurement.
func tenKeys() context.Context {
	md := map[string][]string{}
	for _, k := range []string{"x-tenant", "x-a", "x-b", "x-c", "x-d", "x-e", "x-f", "x-g", "authorization", "user-agent"} {
		md[k] = []string{"value-of-" + k}
	}
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled, Remote: true})
	ctx := trace.ContextWithRemoteSpanContext(context.Background(), sc)
	return client.NewContext(ctx, client.Info{Metadata: client.NewMetadata(md)})
}

// BenchmarkContextTransfer is one request's context crossing Go → Rust:
// laying the struct out in C memory and Rust rebuilding its RequestContext
// from it (the pipeline is not run: ffi_bridge "bench" answers at once).
func BenchmarkContextTransfer(b *testing.B) {
	ctx, cancel := context.WithTimeout(tenKeys(), time.Minute)
	defer cancel()
	b.ReportAllocs()
	for b.Loop() {
		c := newCContext(ctx, 1)
		transferOnly(c)
		c.free()
	}
}

// BenchmarkErrorTranslation is one Rust error reaching the Go pipeline as
// a consumererror: the struct read and the consumererror built.
func BenchmarkErrorTranslation(b *testing.B) {
	raw := newCError(consumererror.NewPermanent(errors.New("bad data")))
	defer raw.free()
	b.ReportAllocs()
	for b.Loop() {
		e := errorFromC(raw.raw).ConsumerError()
		if !consumererror.IsPermanent(e) {
			b.Fatal("not permanent")
		}
	}
}

// BenchmarkRoundTrip is one empty-pipeline request through the ABI and back
// (Go → Rust task → completion callback → Go), the fixed cost of a crossing.
func BenchmarkRoundTrip(b *testing.B) {
	startRust(b)
	setAnswer(nil)
	data := traces(b)
	ctx := withFault(context.Background(), "none", nil)
	go func() {
		for range seenCh {
		}
	}()
	b.ResetTimer()
	for b.Loop() {
		if err := Consume(ctx, "in", SignalTraces, data); err != nil {
			b.Fatal(err)
		}
	}
}

// TestCancelLatency: a Go cancel ends a Rust request waiting in the
// pipeline at once, over many requests; it logs p50/p99.
func TestCancelLatency(t *testing.T) {
	p50, p99 := cancelLatency(t, 200)
	t.Logf("cancel → Rust request ended: p50 %v, p99 %v over %d requests", p50, p99, 200)
	// The 1 ms goal is a benchmark target (make bench-check reads the figure
	// TestFFIFiguresJSON writes); here only "at once, not after the 30 s
	// delay" is asserted, which holds under -race on a loaded machine too.
	if p99 > time.Second {
		t.Errorf("cancel latency p99 %v: the Rust request did not end when cancelled", p99)
	}
}

// cancelLatency cancels n requests waiting in Rust and returns the p50 and
// p99 of cancel → Consume returned (Rust saw the token and answered).
func cancelLatency(t *testing.T, n int) (p50, p99 time.Duration) {
	startRust(t)
	lat := make([]time.Duration, 0, n)
	for range n {
		ctx, cancel := context.WithCancel(withFault(context.Background(), "slow", nil))
		done := make(chan struct{})
		go func() { _ = Consume(ctx, "in", SignalTraces, traces(t)); close(done) }()
		// Wait until Rust holds the request, then cancel.
		for ActiveRequests() == 0 {
			runtime.Gosched()
		}
		start := time.Now()
		cancel()
		<-done
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	return lat[n/2], lat[n*99/100]
}

// TestMemoryPerActiveContext: what one request in flight holds, on the Go
// side (heap, measured) while Rust holds it.
func TestMemoryPerActiveContext(t *testing.T) {
	perReq := bytesPerActiveRequest(t, 500)
	t.Logf("Go heap the crossing holds per request in flight with 10 metadata keys and a trace context (goroutine stacks excluded): %.0f bytes", perReq)
	if perReq <= 0 {
		t.Fatalf("a request in flight across the FFI holds %.0f bytes: the measurement is broken", perReq)
	}
}

// bytesPerActiveRequest: the Go heap the crossing holds per request while n
// wait in Rust. The caller's side of a request (its goroutine, its
// cancellable context, a channel to learn it ended) exists with or without
// a crossing, so it is measured alone in the same way and subtracted.
func bytesPerActiveRequest(t *testing.T, n int) float64 {
	startRust(t)
	data := traces(t)
	crossing := heldPerRequest(n, func(ctx context.Context) { _ = Consume(ctx, "in", SignalTraces, data) },
		func() bool { return ActiveRequests() >= uint64(n) })
	var parked atomic.Int64
	caller := heldPerRequest(n, func(ctx context.Context) { parked.Add(1); <-ctx.Done() },
		func() bool { return parked.Load() >= int64(n) })
	return crossing - caller
}

// heldPerRequest starts n requests that run call and are cancelled only
// after ready says all n are in flight, and returns the Go heap they hold
// each at that point.
func heldPerRequest(n int, call func(context.Context), ready func() bool) float64 {
	var before, after runtime.MemStats
	cancels := make([]context.CancelFunc, 0, n)
	dones := make([]chan struct{}, 0, n)
	// The caller's context exists before the crossing: 10 metadata keys, a
	// trace context, and the fault processor's "slow" so Rust holds on.
	md := client.FromContext(tenKeys()).Metadata
	all := map[string][]string{"x-fault": {"slow"}}
	for k := range md.Keys() {
		all[k] = md.Get(k)
	}
	base := client.NewContext(tenKeys(), client.Info{Metadata: client.NewMetadata(all)})
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range n {
		ctx, cancel := context.WithCancel(base)
		done := make(chan struct{})
		go func() { call(ctx); close(done) }()
		cancels = append(cancels, cancel)
		dones = append(dones, done)
	}
	for !ready() {
		time.Sleep(time.Millisecond)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	perReq := float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
	for i := range cancels {
		cancels[i]()
		<-dones[i]
	}
	return perReq
}
