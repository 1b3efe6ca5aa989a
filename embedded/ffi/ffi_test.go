//go:build cgo && otelcol_embedded

package ffi

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// The Rust half every test here runs: Go → ffi_bridge/in → fault processors
// → ffi_bridge/out → Go, so each request crosses twice.
const rustHalf = `
receivers:
  ffi_bridge/in: {}
processors:
  fault/panic:
    error: panic
    metadata: {x-fault: "panic"}
  fault/throttle:
    error: resource_exhausted
    retry_after: 3s
    metadata: {x-fault: "throttle"}
  fault/slow:
    delay: 30s
    metadata: {x-fault: "slow"}
    error: permanent
exporters:
  ffi_bridge/out: {retry_on_failure: {enabled: false}}
service:
  pipelines:
    traces:
      receivers: [ffi_bridge/in]
      processors: [fault/panic, fault/throttle, fault/slow]
      exporters: [ffi_bridge/out]
`

type seen struct {
	md    client.Metadata
	sc    trace.SpanContext
	dl    time.Time
	spans int
}

var (
	startOnce sync.Once
	startErr  error
	seenCh    = make(chan seen, 16)
	answer    error // what the Go receiver answers; set per test
	answerMu  sync.Mutex
)

func startRust(t testing.TB) {
	t.Helper()
	startOnce.Do(func() {
		startErr = Start([]byte(rustHalf))
		if startErr != nil {
			return
		}
		_, startErr = RegisterExport("out", func(ctx context.Context, sig Signal, data []byte) error {
			td, err := (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(data)
			if err != nil {
				return consumererror.NewPermanent(err)
			}
			dl, _ := ctx.Deadline()
			seenCh <- seen{md: client.FromContext(ctx).Metadata, sc: trace.SpanContextFromContext(ctx), dl: dl, spans: td.SpanCount()}
			answerMu.Lock()
			defer answerMu.Unlock()
			return answer
		})
	})
	if startErr != nil {
		t.Fatal(startErr)
	}
}

func setAnswer(err error) {
	answerMu.Lock()
	answer = err
	answerMu.Unlock()
}

func traces(t testing.TB) []byte {
	td := ptrace.NewTraces()
	ss := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty()
	for i := 0; i < 3; i++ {
		s := ss.Spans().AppendEmpty()
		s.SetName("op")
		s.SetTraceID([16]byte{1, 2, 3})
		s.SetSpanID([8]byte{byte(i + 1)})
	}
	b, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func withFault(ctx context.Context, fault string, extra map[string][]string) context.Context {
	md := map[string][]string{"x-fault": {fault}}
	for k, v := range extra {
		md[k] = v
	}
	return client.NewContext(ctx, client.Info{Metadata: client.NewMetadata(md)})
}

func TestContextCrossesBothWays(t *testing.T) {
	startRust(t)
	setAnswer(nil)
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	ts, _ := trace.ParseTraceState("vendor=abc")
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled, TraceState: ts, Remote: true})
	ctx := trace.ContextWithRemoteSpanContext(context.Background(), sc)
	ctx = withFault(ctx, "none", map[string][]string{"x-tenant": {"a", "b"}, ":authority": {"collector.example:4317"}, "user-agent": {"telemetrygen/1"}})
	deadline := time.Now().Add(7 * time.Second)
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	if err := Consume(ctx, "in", SignalTraces, traces(t)); err != nil {
		t.Fatal(err)
	}
	got := <-seenCh
	if got.spans != 3 {
		t.Errorf("spans = %d", got.spans)
	}
	if v := got.md.Get("x-tenant"); len(v) != 2 || v[0] != "a" || v[1] != "b" {
		t.Errorf("x-tenant = %v", v)
	}
	if v := got.md.Get(":authority"); len(v) != 1 || v[0] != "collector.example:4317" {
		t.Errorf(":authority = %v", v)
	}
	if v := got.md.Get("user-agent"); len(v) != 1 || v[0] != "telemetrygen/1" {
		t.Errorf("user-agent = %v", v)
	}
	if got.sc.TraceID() != tid || got.sc.SpanID() != sid || !got.sc.IsSampled() || got.sc.TraceState().String() != "vendor=abc" {
		t.Errorf("trace context = %v", got.sc)
	}
	// Rust ends 5 ms before the caller (as its otlp receiver does), so the
	// caller hears Rust's DeadlineExceeded; nothing else moves it.
	if d := got.dl.Sub(deadline); d > 0 || d < -7*time.Millisecond {
		t.Errorf("deadline moved by %v, want about -5ms", d)
	}
	if n := ActiveRequests(); n != 0 {
		t.Errorf("%d requests still registered in Rust", n)
	}
}

func TestErrorsCrossWithTheTable(t *testing.T) {
	startRust(t)
	for _, tc := range []struct {
		name      string
		fault     string
		goAnswer  error
		code      codes.Code
		permanent bool
		throttle  time.Duration
	}{
		{"rust throttles", "throttle", nil, codes.ResourceExhausted, false, 3 * time.Second},
		{"rust panics", "panic", nil, codes.Internal, true, -1},
		{"go permanent", "none", consumererror.NewPermanent(errors.New("bad data")), codes.Internal, true, -1},
		{"go retryable", "none", errors.New("backend down"), codes.Unavailable, false, -1},
		{"go status", "none", status.Error(codes.PermissionDenied, "no"), codes.PermissionDenied, true, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			setAnswer(tc.goAnswer)
			err := Consume(withFault(context.Background(), tc.fault, nil), "in", SignalTraces, traces(t))
			if tc.goAnswer != nil {
				<-seenCh
			}
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not an *Error", err)
			}
			if fe.GRPCCode != tc.code || fe.Permanent != tc.permanent {
				t.Errorf("code %v permanent %v, want %v %v (%s)", fe.GRPCCode, fe.Permanent, tc.code, tc.permanent, fe.Message)
			}
			if tc.throttle >= 0 && fe.RetryAfter != tc.throttle {
				t.Errorf("retry after %v, want %v", fe.RetryAfter, tc.throttle)
			}
			ce := fe.ConsumerError()
			if consumererror.IsPermanent(ce) != tc.permanent {
				t.Errorf("consumererror permanent = %v", consumererror.IsPermanent(ce))
			}
			if st, _ := status.FromError(ce); st.Code() != tc.code {
				t.Errorf("consumer error status %v, want %v", st.Code(), tc.code)
			}
			if tc.name == "rust panics" && !strings.Contains(fe.Message, "panicked") {
				t.Errorf("message %q does not say it panicked", fe.Message)
			}
		})
	}
	setAnswer(nil)
	// The collector is still up after the panic.
	if err := Consume(withFault(context.Background(), "none", nil), "in", SignalTraces, traces(t)); err != nil {
		t.Fatal(err)
	}
	<-seenCh
}

func TestCancellationIsImmediate(t *testing.T) {
	startRust(t)
	ctx, cancel := context.WithCancel(withFault(context.Background(), "slow", nil))
	done := make(chan error, 1)
	go func() { done <- Consume(ctx, "in", SignalTraces, traces(t)) }()
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	cancel()
	err := <-done
	took := time.Since(start)
	var fe *Error
	if !errors.As(err, &fe) || fe.GRPCCode != codes.Canceled {
		t.Fatalf("err = %v, want Canceled", err)
	}
	if took > 20*time.Millisecond {
		t.Errorf("cancellation took %v", took)
	}
	if n := ActiveRequests(); n != 0 {
		t.Errorf("%d requests still registered in Rust", n)
	}
}

func TestDeadlineEndsTheRustRequest(t *testing.T) {
	startRust(t)
	ctx, cancel := context.WithTimeout(withFault(context.Background(), "slow", nil), 50*time.Millisecond)
	defer cancel()
	err := Consume(ctx, "in", SignalTraces, traces(t))
	var fe *Error
	if !errors.As(err, &fe) || (fe.GRPCCode != codes.DeadlineExceeded && fe.GRPCCode != codes.Canceled) {
		t.Fatalf("err = %v, want DeadlineExceeded", err)
	}
}

func TestUnknownBridgeAndBadData(t *testing.T) {
	startRust(t)
	err := Consume(context.Background(), "nope", SignalTraces, traces(t))
	var fe *Error
	if !errors.As(err, &fe) || fe.GRPCCode != codes.Unavailable || fe.Permanent {
		t.Fatalf("unknown bridge: %v", err)
	}
	err = Consume(context.Background(), "in", SignalTraces, []byte{0xff, 0xff})
	if !errors.As(err, &fe) || fe.GRPCCode != codes.InvalidArgument || !fe.Permanent {
		t.Fatalf("bad data: %v", err)
	}
}

func TestConcurrentRequests(t *testing.T) {
	startRust(t)
	setAnswer(nil)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	go func() {
		for range 64 {
			<-seenCh
		}
	}()
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- Consume(withFault(context.Background(), "none", nil), "in", SignalTraces, traces(t))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func TestComponentsAndValidate(t *testing.T) {
	comps, err := Components()
	if err != nil || len(comps) == 0 {
		t.Fatalf("components %v, %v", comps, err)
	}
	if err := Validate([]byte("receivers: {nope: {}}\n")); err == nil || !strings.Contains(err.Error(), "rust half") {
		t.Fatalf("validate error %v should name the rust half", err)
	}
}
