package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/otelcol-hybrid/otelcol-hybrid/internal/testkit"
	"github.com/otelcol-hybrid/otelcol-hybrid/internal/testkit/otlpbackend"
	"github.com/otelcol-hybrid/otelcol-hybrid/internal/testkit/procfs"
)

// stalledBackend accepts every connection and every request but answers none
// until recover is called; from then on it accepts and counts data points
// per metric name.
type stalledBackend struct {
	Addr      string
	recovered chan struct{}
	once      sync.Once
	mu        sync.Mutex
	points    map[string]int
	stalled   atomic.Int64 // requests received while stalled
}

func startStalledBackend(t *testing.T) *stalledBackend {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &stalledBackend{Addr: l.Addr().String(), recovered: make(chan struct{}), points: map[string]int{}}
	srv := otlpbackend.Serve(l, otlpbackend.Handlers{Metrics: b.export}, grpc.MaxRecvMsgSize(64<<20))
	t.Cleanup(func() { b.recover(); srv.Stop() })
	return b
}

func (b *stalledBackend) recover() { b.once.Do(func() { close(b.recovered) }) }

func (b *stalledBackend) export(ctx context.Context, md pmetric.Metrics) error {
	select {
	case <-b.recovered:
	default:
		b.stalled.Add(1)
		select {
		case <-b.recovered:
		case <-ctx.Done():
			return status.Error(codes.DeadlineExceeded, "stalled")
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for m := range otlpbackend.Metrics(md) {
		b.points[m.Name()] += m.Gauge().DataPoints().Len()
	}
	return nil
}

func (b *stalledBackend) Points(name string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.points[name]
}

// bigGauge is one request of about `points` × 100 bytes.
func bigGauge(name string, points int) pmetricotlp.ExportRequest {
	md := pmetric.NewMetrics()
	m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName(name)
	dps := m.SetEmptyGauge().DataPoints()
	pad := strings.Repeat("x", 64)
	for i := 0; i < points; i++ {
		dp := dps.AppendEmpty()
		dp.SetIntValue(int64(i))
		dp.SetTimestamp(1)
		dp.Attributes().PutStr("pad", pad)
		dp.Attributes().PutInt("i", int64(i))
	}
	return pmetricotlp.NewExportRequestFromMetrics(md)
}

// rssKiB is a process's resident set (VmRSS) in KiB.
func rssKiB(t *testing.T, pid int) int {
	t.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	t.Fatalf("no VmRSS for pid %d", pid)
	return 0
}

// TestMemoryBoundRefusesThenRecovers: a Go otlp receiver (run by the Rust
// half) → otlp_rust with its default queue, to a backend that accepts
// connections and never answers. With rust_subprocess memory_limit_mib 8,
// the queue fills with acknowledged requests until the Rust half holds 8 MiB;
// from then on gRPC clients get ResourceExhausted with RetryInfo
// (retryable, as the Go exporters and the Go half treat it), OTLP/HTTP ones
// 429 with Retry-After, and the child's RSS stays
// bounded instead of growing with what is sent. Once the backend answers,
// the queue drains, new data is accepted and everything acknowledged arrives.
func TestMemoryBoundRefusesThenRecovers(t *testing.T) {
	skipInEmbedded(t, "measures the Rust child's RSS")
	t.Parallel()
	be := startStalledBackend(t)
	cfg, _ := renderConfig(t, "memory_bound.yaml", map[string]string{"BACKEND": be.Addr})
	h := startHybrid(t, cfg, hybridOpts{})
	h.waitReady()
	in, inHTTP := h.listenAddr(grpcIP), h.listenAddr(httpIP)
	child := h.rustChild(10 * time.Second)
	baseline := rssKiB(t, child)

	conn, err := grpc.NewClient(in, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallSendMsgSize(64<<20)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	c := pmetricotlp.NewGRPCClient(conn)

	// About 200 KiB a request: 600 requests offer ~120 MiB, 15 times the limit.
	req := bigGauge("bounded", 2000)
	reqBytes, _ := req.MarshalProto()
	acked, refused, peak := 0, 0, baseline
	var retryInfo *errdetails.RetryInfo
	for i := 0; i < 600; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := c.Export(ctx, req)
		cancel()
		switch st := status.Convert(err); st.Code() {
		case codes.OK:
			acked++
		case codes.ResourceExhausted:
			refused++
			for _, d := range st.Details() {
				if ri, ok := d.(*errdetails.RetryInfo); ok {
					retryInfo = ri
				}
			}
			if !strings.Contains(st.Message(), "memory_limit_mib") {
				t.Fatalf("refusal does not name the limit: %v", st.Message())
			}
		default:
			t.Fatalf("request %d: %v, want OK or ResourceExhausted", i, err)
		}
		if i%50 == 0 {
			peak = max(peak, rssKiB(t, child))
		}
	}
	peak = max(peak, rssKiB(t, child))
	t.Logf("request %d KiB: %d acked, %d refused; child RSS %d KiB at start, peak %d KiB; backend saw %d stalled requests",
		len(reqBytes)>>10, acked, refused, baseline, peak, be.stalled.Load())
	if refused == 0 || acked == 0 {
		t.Fatalf("%d acked, %d refused: want the bound to admit some and refuse the rest", acked, refused)
	}
	if retryInfo == nil || retryInfo.GetRetryDelay().AsDuration() <= 0 {
		t.Fatalf("the refusal carries no RetryInfo delay (%v)", retryInfo)
	}
	// What was admitted is bounded by the limit (8 MiB of held bytes); the
	// 120 MiB offered must not show up in the child. Measured growth is
	// 9.6–9.8 MiB (the held bytes plus the allocator's and the decoders'
	// buffers), so three times the limit leaves room for that and no more.
	if grown := peak - baseline; grown > 3*8<<10 {
		t.Errorf("child RSS grew by %d KiB with an 8 MiB limit (at most 24 MiB expected)", grown)
	}
	if procfs.Gone(child) {
		t.Fatal("the child died")
	}
	// OTLP/HTTP is refused the HTTP way: 429 with Retry-After.
	resp, err := http.Post("http://"+inHTTP+"/v1/metrics", "application/x-protobuf", bytes.NewReader(reqBytes))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("OTLP/HTTP at the limit: %d, Retry-After %q; want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}

	be.recover()
	testkit.Eventually(t, 60*time.Second, fmt.Sprintf("the %d acknowledged requests at the backend", acked), func() bool {
		return be.Points("bounded") >= acked*2000
	})
	var accepted bool
	testkit.Eventually(t, 30*time.Second, "new data accepted after the backend recovered", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := c.Export(ctx, bigGauge("after", 10))
		accepted = err == nil
		return accepted
	})
	testkit.Eventually(t, 30*time.Second, "the new data at the backend", func() bool { return be.Points("after") == 10 })
	// At least once: an export whose attempt timed out just as the backend
	// recovered may be delivered twice.
	got := be.Points("bounded")
	t.Logf("backend has %d bounded points for %d acknowledged (%d duplicate requests)", got, acked*2000, (got-acked*2000)/2000)
}

// TestMemoryBoundBehindABridgeIsRetriedByTheGoQueue: a Go receiver kept in
// Go, so its requests reach the Rust half over a bridge whose Go-side queue
// acknowledges them. With a 1 MiB bound and a stalled backend the Rust half
// refuses the queue's sends (ResourceExhausted with RetryInfo); the Go half
// takes that as retryable, drops nothing, and once the backend answers every
// acknowledged point arrives.
func TestMemoryBoundBehindABridgeIsRetriedByTheGoQueue(t *testing.T) {
	skipInEmbedded(t, "the bound is the Rust child's, behind a subprocess bridge")
	t.Parallel()
	be := startStalledBackend(t)
	cfg, _ := renderConfig(t, "memory_bound_bridge.yaml", map[string]string{"BACKEND": be.Addr})
	h := startHybrid(t, cfg, hybridOpts{})
	h.waitReady()
	in := h.listenAddr(grpcIP)

	conn, err := grpc.NewClient(in, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallSendMsgSize(64<<20)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	c := pmetricotlp.NewGRPCClient(conn)
	const requests = 30
	for i := 0; i < requests; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := c.Export(ctx, bigGauge("bridged", 2000))
		cancel()
		if err != nil {
			t.Fatalf("request %d: %v; the Go-side queue acknowledges", i, err)
		}
	}
	h.await(30*time.Second, "the Rust half to refuse a bridge request at its memory limit", func() bool {
		return strings.Contains(h.out.String(), "memory limit reached, refusing data")
	})
	be.recover()
	testkit.Eventually(t, 90*time.Second, "every acknowledged point at the backend", func() bool {
		return be.Points("bridged") >= requests*2000
	})
	if out := h.out.String(); strings.Contains(out, "Dropping data") {
		t.Errorf("the Go half dropped data the Rust half refused:\n%s", tail(out, 40))
	}
	t.Logf("backend has %d points for %d acknowledged", be.Points("bridged"), requests*2000)
}
