// Package otlpbackend is the OTLP/gRPC backend that tests and the soak run
// stand in for the user's observability backend, and walks over what it
// receives. It is apart from testkit so that a program (the soak) can use it
// without linking the testing package.
package otlpbackend

import (
	"context"
	"iter"
	"net"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	_ "google.golang.org/grpc/encoding/gzip" // real backends accept gzip, the collector's exporters default to it
)

// Handlers is what a test backend does with each export request, one
// function a signal; a nil one leaves that service unregistered, so the
// sender gets Unimplemented as from a backend without it. A handler's error
// is the status the sender receives.
type Handlers struct {
	Traces  func(context.Context, ptrace.Traces) error
	Metrics func(context.Context, pmetric.Metrics) error
	Logs    func(context.Context, plog.Logs) error
}

// Serve serves h over OTLP/gRPC on l until the returned server is stopped.
func Serve(l net.Listener, h Handlers, opts ...grpc.ServerOption) *grpc.Server {
	srv := grpc.NewServer(opts...)
	if h.Traces != nil {
		ptraceotlp.RegisterGRPCServer(srv, &tracesSvc{export: h.Traces})
	}
	if h.Metrics != nil {
		pmetricotlp.RegisterGRPCServer(srv, &metricsSvc{export: h.Metrics})
	}
	if h.Logs != nil {
		plogotlp.RegisterGRPCServer(srv, &logsSvc{export: h.Logs})
	}
	go func() { _ = srv.Serve(l) }()
	return srv
}

type tracesSvc struct {
	ptraceotlp.UnimplementedGRPCServer
	export func(context.Context, ptrace.Traces) error
}

func (s *tracesSvc) Export(ctx context.Context, req ptraceotlp.ExportRequest) (ptraceotlp.ExportResponse, error) {
	return ptraceotlp.NewExportResponse(), s.export(ctx, req.Traces())
}

type metricsSvc struct {
	pmetricotlp.UnimplementedGRPCServer
	export func(context.Context, pmetric.Metrics) error
}

func (s *metricsSvc) Export(ctx context.Context, req pmetricotlp.ExportRequest) (pmetricotlp.ExportResponse, error) {
	return pmetricotlp.NewExportResponse(), s.export(ctx, req.Metrics())
}

type logsSvc struct {
	plogotlp.UnimplementedGRPCServer
	export func(context.Context, plog.Logs) error
}

func (s *logsSvc) Export(ctx context.Context, req plogotlp.ExportRequest) (plogotlp.ExportResponse, error) {
	return plogotlp.NewExportResponse(), s.export(ctx, req.Logs())
}

// SpanIn is one span with the resource and scope it was sent under.
type SpanIn struct {
	Resource pcommon.Resource
	Scope    pcommon.InstrumentationScope
	Span     ptrace.Span
}

// Spans yields every span of td, in order.
func Spans(td ptrace.Traces) iter.Seq[SpanIn] {
	return func(yield func(SpanIn) bool) {
		for _, rs := range td.ResourceSpans().All() {
			for _, ss := range rs.ScopeSpans().All() {
				for _, sp := range ss.Spans().All() {
					if !yield(SpanIn{rs.Resource(), ss.Scope(), sp}) {
						return
					}
				}
			}
		}
	}
}

// Metrics yields every metric of md, in order.
func Metrics(md pmetric.Metrics) iter.Seq[pmetric.Metric] {
	return func(yield func(pmetric.Metric) bool) {
		for _, rm := range md.ResourceMetrics().All() {
			for _, sm := range rm.ScopeMetrics().All() {
				for _, m := range sm.Metrics().All() {
					if !yield(m) {
						return
					}
				}
			}
		}
	}
}

// LogRecords yields every log record of ld, in order.
func LogRecords(ld plog.Logs) iter.Seq[plog.LogRecord] {
	return func(yield func(plog.LogRecord) bool) {
		for _, rl := range ld.ResourceLogs().All() {
			for _, sl := range rl.ScopeLogs().All() {
				for _, lr := range sl.LogRecords().All() {
					if !yield(lr) {
						return
					}
				}
			}
		}
	}
}
