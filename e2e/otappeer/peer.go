// Package otappeer is a test peer for the Rust `otap` exporter: a gRPC server
// that decodes the OpenTelemetry Arrow streams with the otel-arrow project's
// own Go consumer (the code the contrib otelarrowreceiver runs), serves plain
// OTLP beside them, and injects the faults the exporter must survive.
package otappeer

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	arrowpb "github.com/open-telemetry/otel-arrow/go/api/experimental/arrow/v1"
	"github.com/open-telemetry/otel-arrow/go/pkg/otel/arrow_record"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
)

// Fault tells the peer what to do with one Arrow batch: answer it with a
// status (now or after a delay), never answer it, or end the stream while the
// batch is in flight.
type Fault struct {
	Code        arrowpb.StatusCode
	Message     string
	BreakStream bool
	// EndStream ends the stream with this error (a gRPC status, which may
	// carry details such as RetryInfo) instead of answering the batch.
	EndStream error
	// Delay answers the batch this long after it arrived; the peer reads and
	// answers later batches meanwhile, so answers come out of order.
	Delay time.Duration
	// Hold never answers the batch (nor stores it).
	Hold bool
}

// Options shape the peer. The zero value is a well-behaved receiver.
type Options struct {
	// NoArrow leaves the Arrow services unregistered, like a plain OTLP
	// server: streams end with Unimplemented.
	NoArrow bool
	// Faults maps the n-th Arrow batch the peer receives (from 0, all
	// signals and streams counted together) to a fault.
	Faults map[int]Fault
	// TLS serves with a fresh self-signed certificate for 127.0.0.1; its
	// PEM is in Peer.CA.
	TLS bool
	// KeepOpen leaves an Arrow stream open after the client half-closes it
	// (once its delayed answers are sent) until the client resets it, like a
	// server that never ends a stream of its own accord.
	KeepOpen bool
}

// Received is what the peer acknowledged, kept per path.
type Received struct {
	Metrics []pmetric.Metrics
	Traces  []ptrace.Traces
	Logs    []plog.Logs
}

// Items counts the data points, spans and log records received.
func (r Received) Items() int {
	n := 0
	for _, m := range r.Metrics {
		n += m.DataPointCount()
	}
	for _, t := range r.Traces {
		n += t.SpanCount()
	}
	for _, l := range r.Logs {
		n += l.LogRecordCount()
	}
	return n
}

// Peer is a running test peer.
type Peer struct {
	Addr string
	// CA is the certificate to trust when Options.TLS is set.
	CA []byte

	srv  *grpc.Server
	opts Options

	mu        sync.Mutex
	batches   int         // Arrow batches seen, faulted ones included
	arrivals  []time.Time // when each of them arrived
	streams   int         // Arrow streams opened
	open      int         // Arrow streams not yet ended
	late      int         // answers sent after the client half-closed the stream
	arrow     Received
	otlp      Received
	wireBytes map[string]int64    // method → request bytes as they crossed the wire
	headers   []map[string]string // per acknowledged batch: stream metadata + batch headers
}

// Start listens on a free localhost port.
func Start(opts Options) (*Peer, error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Peer{Addr: lis.Addr().String(), opts: opts, wireBytes: map[string]int64{}}
	serverOpts := []grpc.ServerOption{grpc.StatsHandler(wireCounter{p}), grpc.MaxRecvMsgSize(64 << 20)}
	if opts.TLS {
		cfg, ca, err := selfSigned()
		if err != nil {
			_ = lis.Close()
			return nil, err
		}
		p.CA = ca
		serverOpts = append(serverOpts, grpc.Creds(credentials.NewTLS(cfg)))
	}
	p.srv = grpc.NewServer(serverOpts...)
	if !opts.NoArrow {
		arrowpb.RegisterArrowMetricsServiceServer(p.srv, arrowMetrics{p: p})
		arrowpb.RegisterArrowLogsServiceServer(p.srv, arrowLogs{p: p})
		arrowpb.RegisterArrowTracesServiceServer(p.srv, arrowTraces{p: p})
	}
	pmetricotlp.RegisterGRPCServer(p.srv, &otlpMetrics{p: p})
	plogotlp.RegisterGRPCServer(p.srv, &otlpLogs{p: p})
	ptraceotlp.RegisterGRPCServer(p.srv, &otlpTraces{p: p})
	go func() { _ = p.srv.Serve(lis) }()
	return p, nil
}

// Stop ends every stream and the listener.
func (p *Peer) Stop() { p.srv.Stop() }

// Arrow returns what arrived over the Arrow streams and was acknowledged OK.
func (p *Peer) Arrow() Received {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.arrow
}

// OTLP returns what arrived over plain OTLP.
func (p *Peer) OTLP() Received {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.otlp
}

// Headers returns, per batch acknowledged OK, the stream's gRPC metadata
// merged with the batch's own HPACK headers (the latter win), as the contrib
// receiver builds a request's client metadata.
func (p *Peer) Headers() []map[string]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]map[string]string(nil), p.headers...)
}

// Streams is the number of Arrow streams opened so far.
func (p *Peer) Streams() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.streams
}

// OpenStreams is the number of Arrow streams that have not ended yet.
func (p *Peer) OpenStreams() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.open
}

// LateAnswers is the number of BatchStatus sent on streams the client had
// already half-closed.
func (p *Peer) LateAnswers() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.late
}

// Arrivals is when each Arrow batch arrived, faulted ones included.
func (p *Peer) Arrivals() []time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]time.Time(nil), p.arrivals...)
}

// Batches is the number of Arrow batches received so far, faulted ones included.
func (p *Peer) Batches() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.batches
}

// WireBytes is the size of the requests as they crossed the wire (after gRPC
// compression, before decompression), summed per kind: "arrow" or "otlp".
func (p *Peer) WireBytes() map[string]int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]int64{}
	for k, v := range p.wireBytes {
		out[k] = v
	}
	return out
}

// wireCounter sums the compressed size of every inbound message per service
// family, which is what a network link would carry for the payloads.
type wireCounter struct{ p *Peer }

type methodKey struct{}

func (w wireCounter) TagRPC(ctx context.Context, info *stats.RPCTagInfo) context.Context {
	kind := "otlp"
	if strings.Contains(info.FullMethodName, "experimental.arrow") {
		kind = "arrow"
	}
	return context.WithValue(ctx, methodKey{}, kind)
}

func (w wireCounter) HandleRPC(ctx context.Context, s stats.RPCStats) {
	in, ok := s.(*stats.InPayload)
	if !ok {
		return
	}
	kind, _ := ctx.Value(methodKey{}).(string)
	w.p.mu.Lock()
	w.p.wireBytes[kind] += int64(in.CompressedLength)
	w.p.mu.Unlock()
}

func (wireCounter) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (wireCounter) HandleConn(context.Context, stats.ConnStats)                       {}

// stream is the part of the three generated Arrow stream types the peer uses.
type stream interface {
	Send(*arrowpb.BatchStatus) error
	Recv() (*arrowpb.BatchArrowRecords, error)
	Context() context.Context
}

// serve runs one Arrow stream: a fresh consumer (IPC stream state lives as
// long as the gRPC stream), one BatchStatus per batch unless a fault holds it.
func (p *Peer) serve(s stream, decode func(*arrow_record.Consumer, *arrowpb.BatchArrowRecords) (func(*Received), error)) error {
	consumer := arrow_record.NewConsumer()
	defer func() { _ = consumer.Close() }()
	streamMD, _ := metadata.FromIncomingContext(s.Context())
	p.mu.Lock()
	p.streams++
	p.open++
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.open--
		p.mu.Unlock()
	}()

	// Delayed answers are sent from their own goroutines; gRPC allows one
	// sender at a time, and none once the handler has returned.
	var (
		sendMu     sync.Mutex
		ended      bool
		halfClosed bool
		delayed    sync.WaitGroup
	)
	defer func() {
		sendMu.Lock()
		ended = true
		sendMu.Unlock()
	}()
	// answer stores an accepted batch (store != nil) and sends its status.
	answer := func(st *arrowpb.BatchStatus, store func(*Received), h map[string]string) error {
		sendMu.Lock()
		defer sendMu.Unlock()
		if ended || s.Context().Err() != nil {
			return nil // the client has gone: it never hears this answer
		}
		p.mu.Lock()
		if store != nil {
			store(&p.arrow)
			p.headers = append(p.headers, h)
		}
		if halfClosed {
			p.late++
		}
		p.mu.Unlock()
		return s.Send(st)
	}

	for {
		bar, err := s.Recv()
		if errors.Is(err, io.EOF) {
			sendMu.Lock()
			halfClosed = true
			sendMu.Unlock()
			delayed.Wait()
			if p.opts.KeepOpen {
				<-s.Context().Done()
			}
			return nil
		}
		if err != nil {
			return err
		}
		p.mu.Lock()
		n := p.batches
		p.batches++
		p.arrivals = append(p.arrivals, time.Now())
		fault, faulted := p.opts.Faults[n]
		p.mu.Unlock()
		// Decode even faulted batches: the stream's dictionaries must stay in
		// step with the sender's, as a real receiver's would.
		store, decodeErr := decode(consumer, bar)
		if faulted && fault.BreakStream {
			return status.Error(codes.Unavailable, "test peer broke the stream")
		}
		if faulted && fault.EndStream != nil {
			return fault.EndStream
		}
		if faulted && fault.Hold {
			continue
		}
		st := &arrowpb.BatchStatus{BatchId: bar.BatchId, StatusCode: arrowpb.StatusCode_OK}
		var h map[string]string
		switch {
		case decodeErr != nil:
			st.StatusCode, st.StatusMessage = arrowpb.StatusCode_INVALID_ARGUMENT, decodeErr.Error()
			store = nil
		case faulted && fault.Code != arrowpb.StatusCode_OK:
			st.StatusCode, st.StatusMessage = fault.Code, fault.Message
			store = nil
		default:
			h = map[string]string{}
			for k, v := range streamMD {
				h[k] = v[0]
			}
			if _, err := hpack.NewDecoder(4096, func(f hpack.HeaderField) { h[f.Name] = f.Value }).Write(bar.Headers); err != nil {
				st.StatusCode, st.StatusMessage = arrowpb.StatusCode_INVALID_ARGUMENT, "headers: "+err.Error()
				store = nil
			}
		}
		if faulted && fault.Delay > 0 {
			delayed.Add(1)
			go func() {
				defer delayed.Done()
				select {
				case <-time.After(fault.Delay):
					_ = answer(st, store, h)
				case <-s.Context().Done():
				}
			}()
			continue
		}
		if err := answer(st, store, h); err != nil {
			return err
		}
	}
}

type arrowMetrics struct {
	arrowpb.UnimplementedArrowMetricsServiceServer
	p *Peer
}

func (a arrowMetrics) ArrowMetrics(s arrowpb.ArrowMetricsService_ArrowMetricsServer) error {
	return a.p.serve(s, func(c *arrow_record.Consumer, bar *arrowpb.BatchArrowRecords) (func(*Received), error) {
		md, err := c.MetricsFrom(bar)
		return func(r *Received) { r.Metrics = append(r.Metrics, md...) }, err
	})
}

type arrowLogs struct {
	arrowpb.UnimplementedArrowLogsServiceServer
	p *Peer
}

func (a arrowLogs) ArrowLogs(s arrowpb.ArrowLogsService_ArrowLogsServer) error {
	return a.p.serve(s, func(c *arrow_record.Consumer, bar *arrowpb.BatchArrowRecords) (func(*Received), error) {
		ld, err := c.LogsFrom(bar)
		return func(r *Received) { r.Logs = append(r.Logs, ld...) }, err
	})
}

type arrowTraces struct {
	arrowpb.UnimplementedArrowTracesServiceServer
	p *Peer
}

func (a arrowTraces) ArrowTraces(s arrowpb.ArrowTracesService_ArrowTracesServer) error {
	return a.p.serve(s, func(c *arrow_record.Consumer, bar *arrowpb.BatchArrowRecords) (func(*Received), error) {
		td, err := c.TracesFrom(bar)
		return func(r *Received) { r.Traces = append(r.Traces, td...) }, err
	})
}

type otlpMetrics struct {
	pmetricotlp.UnimplementedGRPCServer
	p *Peer
}

func (o otlpMetrics) Export(_ context.Context, req pmetricotlp.ExportRequest) (pmetricotlp.ExportResponse, error) {
	md := pmetric.NewMetrics()
	req.Metrics().CopyTo(md)
	o.p.mu.Lock()
	o.p.otlp.Metrics = append(o.p.otlp.Metrics, md)
	o.p.mu.Unlock()
	return pmetricotlp.NewExportResponse(), nil
}

type otlpLogs struct {
	plogotlp.UnimplementedGRPCServer
	p *Peer
}

func (o otlpLogs) Export(_ context.Context, req plogotlp.ExportRequest) (plogotlp.ExportResponse, error) {
	ld := plog.NewLogs()
	req.Logs().CopyTo(ld)
	o.p.mu.Lock()
	o.p.otlp.Logs = append(o.p.otlp.Logs, ld)
	o.p.mu.Unlock()
	return plogotlp.NewExportResponse(), nil
}

type otlpTraces struct {
	ptraceotlp.UnimplementedGRPCServer
	p *Peer
}

func (o otlpTraces) Export(_ context.Context, req ptraceotlp.ExportRequest) (ptraceotlp.ExportResponse, error) {
	td := ptrace.NewTraces()
	req.Traces().CopyTo(td)
	o.p.mu.Lock()
	o.p.otlp.Traces = append(o.p.otlp.Traces, td)
	o.p.mu.Unlock()
	return ptraceotlp.NewExportResponse(), nil
}
