package e2e

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/otelcol-hybrid/otelcol-hybrid/internal/testkit"
)

// noMetricsTelemetry keeps the collector's own metrics off (no :8888 clash
// between parallel tests); placementOff keeps a Go receiver in Go.
const (
	noMetricsTelemetry = `
  telemetry:
    metrics:
      level: none`
	placementOff = `
extensions:
  rust_subprocess:
    receiver_placement: false`
)

// queueItems is how many acknowledged requests (one point each) the queue
// tests send while the backend is down.
const queueItems = 40

// goQueueConfig: a Go otlp receiver on in → Rust advanced_filter → otlp_rust
// to backend with the given sending_queue lines (6-space indented), retrying
// fast so the tests do not wait on the 5 s default backoff.
func goQueueConfig(in, backend, storageDir, queue string) string {
	ext, svcExt := "", ""
	if storageDir != "" {
		ext = fmt.Sprintf(`
extensions:
  file_storage:
    directory: %s
    create_directory: true`, storageDir)
		svcExt = "\n  extensions: [file_storage]"
	}
	return fmt.Sprintf(`%s
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: %s
processors:
  advanced_filter:
    drop_metrics: [up]
exporters:
  otlp_rust:
    endpoint: %s
    tls:
      insecure: true
    retry_on_failure:
      initial_interval: 100ms
      max_interval: 500ms
      max_elapsed_time: 0s
    sending_queue:
%s
service:%s%s
  pipelines:
    metrics:
      receivers: [otlp]
      processors: [advanced_filter]
      exporters: [otlp_rust]
`, ext, in, backend, queue, svcExt, noMetricsTelemetry)
}

// startBackendAt is startBackend on a chosen address, so a backend can be
// "down" (nothing listens there) and come up later where the exporter dials.
func startBackendAt(t *testing.T, addr string) *backend {
	t.Helper()
	var l net.Listener
	testkit.Eventually(t, 10*time.Second, "listening on "+addr, func() bool {
		var err error
		l, err = net.Listen("tcp", addr)
		return err == nil
	})
	b := &backend{
		Addr: addr, points: map[string]int{}, spans: map[string]int{},
		logs: map[string]int{}, seqSeen: map[int64]int{}, srv: grpc.NewServer(),
	}
	pmetricotlp.RegisterGRPCServer(b.srv, &metricsSvc{b: b})
	ptraceotlp.RegisterGRPCServer(b.srv, &tracesSvc{b: b})
	plogotlp.RegisterGRPCServer(b.srv, &logsSvc{b: b})
	go func() { _ = b.srv.Serve(l) }()
	t.Cleanup(b.srv.Stop)
	return b
}

// seqGauge is one gauge point carrying the "seq" attribute the backend counts.
func seqGauge(name string, seq int64) pmetricotlp.ExportRequest {
	md := pmetric.NewMetrics()
	m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName(name)
	dp := m.SetEmptyGauge().DataPoints().AppendEmpty()
	dp.SetIntValue(seq)
	dp.SetTimestamp(1)
	dp.Attributes().PutInt("seq", seq)
	return pmetricotlp.NewExportRequestFromMetrics(md)
}

// sendAcked sends n points (seq 0..n-1) to in, one request each, and fails
// the test unless every one is acknowledged: these are the items the
// collector promised to deliver.
func sendAcked(t *testing.T, in string, n int) {
	t.Helper()
	conn, err := grpc.NewClient(in, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	c := pmetricotlp.NewGRPCClient(conn)
	for i := 0; i < n; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := c.Export(ctx, seqGauge("acked", int64(i)))
		cancel()
		if err != nil {
			t.Fatalf("request %d was not acknowledged: %v", i, err)
		}
	}
}

// awaitGone waits until pid has exited (or is a zombie).
func awaitGone(t *testing.T, pid int) {
	t.Helper()
	testkit.Eventually(t, 10*time.Second, fmt.Sprintf("pid %d to exit", pid), func() bool { return processGone(pid) })
}

// checkAllArrived waits for every acknowledged seq at the backend and logs
// the duplicates (at-least-once: a retry after a kill may resend).
func checkAllArrived(t *testing.T, be *backend, n int) {
	t.Helper()
	testkit.Eventually(t, 90*time.Second, fmt.Sprintf("all %d acknowledged points at the backend", n), func() bool {
		distinct, _ := be.Seqs()
		return distinct >= n
	})
	distinct, dups := be.Seqs()
	if missing := be.MissingSeqs(int64(n)); len(missing) > 0 || distinct != n {
		t.Fatalf("backend has %d distinct points, missing %v", distinct, missing)
	}
	t.Logf("acked %d, delivered %d distinct, %d duplicates", n, distinct, dups)
}

// TestPersistentQueueSurvivesKillOfTheWholeCollector: a Rust exporter with
// sending_queue.storage behind a Go receiver. The backend is down; every
// request is acknowledged (the Go side of the bridge queued it in
// file_storage); then kill -9 of the parent and the child. With the backend
// up and the collector restarted on the same storage directory, every
// acknowledged point arrives.
func TestPersistentQueueSurvivesKillOfTheWholeCollector(t *testing.T) {
	skipInEmbedded(t, "the persistent queue lives on the Go side of a subprocess bridge")
	t.Parallel()
	in, backendAddr := testkit.FreeAddr(t), testkit.FreeAddr(t)
	storage := filepath.Join(shortTempDir(t), "queue")
	cfg := goQueueConfig(in, backendAddr, storage, "      storage: file_storage")

	h := startHybrid(t, cfg, hybridOpts{})
	h.waitReady()
	if !strings.Contains(h.out.String(), "receiver otlp stays in Go: exporter otlp_rust asks for sending_queue.storage") {
		t.Errorf("the start-up log does not say why otlp stays in Go:\n%s", tail(h.out.String(), 40))
	}
	sendAcked(t, in, queueItems)

	child := h.rustChild(10 * time.Second)
	if err := h.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = syscall.Kill(child, syscall.SIGKILL)
	<-h.exited
	awaitGone(t, child)

	be := startBackendAt(t, backendAddr)
	if d, _ := be.Seqs(); d != 0 {
		t.Fatalf("the backend got %d points while it was down", d)
	}
	h2 := startHybrid(t, cfg, hybridOpts{})
	h2.waitReady()
	checkAllArrived(t, be, queueItems)
}

// TestGoSideQueueSurvivesKillOfTheChild: with the default in-memory queue,
// the acknowledgement comes from the parent (the Go bridge exporter's
// queue), so kill -9 of the Rust child while the backend is down loses
// nothing: the supervisor restarts the child and the queue delivers.
func TestGoSideQueueSurvivesKillOfTheChild(t *testing.T) {
	skipInEmbedded(t, "kills the Rust child")
	t.Parallel()
	in, backendAddr := testkit.FreeAddr(t), testkit.FreeAddr(t)
	h := startHybrid(t, placementOff+goQueueConfig(in, backendAddr, "", "      enabled: true"), hybridOpts{})
	h.waitReady()
	sendAcked(t, in, queueItems)

	child := h.rustChild(10 * time.Second)
	if err := syscall.Kill(child, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	awaitGone(t, child)
	h.await(60*time.Second, "a new Rust child", func() bool {
		pids := childPIDs(h.cmd.Process.Pid)
		return len(pids) == 1 && pids[0] != child
	})
	be := startBackendAt(t, backendAddr)
	checkAllArrived(t, be, queueItems)
}
