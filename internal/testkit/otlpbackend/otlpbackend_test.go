package otlpbackend

import (
	"context"
	"net"
	"testing"

	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

func TestServeHandsEachRequestToItsSignalsHandler(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	walked := make(chan []string, 1)
	srv := Serve(l, Handlers{Traces: func(_ context.Context, td ptrace.Traces) error {
		var names []string
		for in := range Spans(td) {
			names = append(names, in.Scope.Name()+"/"+in.Span.Name())
		}
		walked <- names
		return status.Error(codes.Unavailable, "down")
	}})
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(l.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })

	td := ptrace.NewTraces()
	ss := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty()
	ss.Scope().SetName("s")
	ss.Spans().AppendEmpty().SetName("a")
	ss.Spans().AppendEmpty().SetName("b")
	_, err = ptraceotlp.NewGRPCClient(conn).Export(t.Context(), ptraceotlp.NewExportRequestFromTraces(td))
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("the handler's error is the answer: got %v", err)
	}
	if got := <-walked; len(got) != 2 || got[0] != "s/a" || got[1] != "s/b" {
		t.Fatalf("spans walked: %v", got)
	}
	_, err = pmetricotlp.NewGRPCClient(conn).Export(t.Context(), pmetricotlp.NewExportRequestFromMetrics(pmetric.NewMetrics()))
	if status.Code(err) != codes.Unimplemented {
		t.Fatalf("no metrics handler means no metrics service: got %v", err)
	}
}
