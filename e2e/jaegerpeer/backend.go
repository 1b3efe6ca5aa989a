package jaegerpeer

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
)

// Backend is an OTLP/gRPC traces server that keeps everything it receives.
type Backend struct {
	ptraceotlp.UnimplementedGRPCServer
	Addr string
	mu   sync.Mutex
	got  []ptrace.Traces
}

// StartBackend listens on a free localhost port until the test ends.
func StartBackend(t *testing.T) *Backend {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &Backend{Addr: l.Addr().String()}
	s := grpc.NewServer()
	ptraceotlp.RegisterGRPCServer(s, b)
	go func() { _ = s.Serve(l) }()
	t.Cleanup(s.Stop)
	return b
}

// Export implements the OTLP trace service.
func (b *Backend) Export(_ context.Context, req ptraceotlp.ExportRequest) (ptraceotlp.ExportResponse, error) {
	td := ptrace.NewTraces()
	req.Traces().CopyTo(td)
	b.mu.Lock()
	b.got = append(b.got, td)
	b.mu.Unlock()
	return ptraceotlp.NewExportResponse(), nil
}

// Traces is everything received so far, merged.
func (b *Backend) Traces() ptrace.Traces {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := ptrace.NewTraces()
	for _, td := range b.got {
		for i := 0; i < td.ResourceSpans().Len(); i++ {
			td.ResourceSpans().At(i).CopyTo(out.ResourceSpans().AppendEmpty())
		}
	}
	return out
}

// WaitSpans waits until at least n spans arrived and returns them.
func WaitSpans(t *testing.T, get func() ptrace.Traces, n int, timeout time.Duration) ptrace.Traces {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		td := get()
		if td.SpanCount() >= n {
			return td
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out: %d spans of %d arrived", td.SpanCount(), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
