package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/otelcol-hybrid/otelcol-hybrid/internal/testkit"
	"github.com/otelcol-hybrid/otelcol-hybrid/internal/testkit/procfs"
)

// queueItems is how many acknowledged requests (one point each) the queue
// tests send while the backend is down.
const queueItems = 40

// startDownBackend is a backend that is down until bringUp: it keeps its
// listener for the whole test, so the exporter always dials the same address
// and no other process can take it, and answers every request Unavailable,
// as a backend that is restarting does, so nothing it is sent counts.
func startDownBackend(t *testing.T) *backend {
	t.Helper()
	b := startBackend(t)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failNext = func() error { return status.Error(codes.Unavailable, "backend down") }
	return b
}

// bringUp makes a backend from startDownBackend accept and count requests.
func (b *backend) bringUp() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failNext = nil
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
	testkit.Eventually(t, 10*time.Second, fmt.Sprintf("pid %d to exit", pid), func() bool { return procfs.Gone(pid) })
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
	be := startDownBackend(t)
	storage := filepath.Join(shortTempDir(t), "queue")
	cfg, _ := renderConfig(t, "queue_persistent.yaml", map[string]string{"BACKEND": be.Addr, "STORAGE": storage})

	h := startHybrid(t, cfg, hybridOpts{})
	h.waitReady()
	if !strings.Contains(h.out.String(), "receiver otlp stays in Go: exporter otlp_rust asks for sending_queue.storage") {
		t.Errorf("the start-up log does not say why otlp stays in Go:\n%s", tail(h.out.String(), 40))
	}
	sendAcked(t, h.listenAddr(grpcIP), queueItems)

	child := h.rustChild(10 * time.Second)
	if err := h.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = syscall.Kill(child, syscall.SIGKILL)
	<-h.exited
	awaitGone(t, child)

	if d, _ := be.Seqs(); d != 0 {
		t.Fatalf("the backend got %d points while it was down", d)
	}
	be.bringUp()
	h2 := startHybrid(t, cfg, hybridOpts{})
	h2.waitReady()
	checkAllArrived(t, be, queueItems)
}

// TestQueuesSurviveKillOfTheChild: kill -9 of the Rust child while the
// backend is down loses nothing acknowledged, wherever the default in-memory
// queue that acknowledged lives:
//   - the Go receiver kept in Go: the parent acknowledged (the Go bridge
//     exporter's queue); the supervisor restarts the child and the queue
//     delivers;
//   - the Go receiver placed in the Rust half (no bridge): the child's own
//     queue acknowledged; the next child finds what its predecessor
//     acknowledged in the spool the parent gave it, and delivers it.
func TestQueuesSurviveKillOfTheChild(t *testing.T) {
	skipInEmbedded(t, "kills the Rust child")
	t.Parallel()
	for _, tc := range []struct {
		name, config, placement, replay string
	}{
		{"the Go bridge's queue", "queue_in_memory.yaml", "receiver otlp stays in Go", ""},
		{"the child's spooled queue", "queue_placed_receiver.yaml", "receiver otlp runs in the Rust half",
			"queued again what the previous Rust half acknowledged"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			be := startDownBackend(t)
			cfg, _ := renderConfig(t, tc.config, map[string]string{"BACKEND": be.Addr})
			h := startHybrid(t, cfg, hybridOpts{})
			h.waitReady()
			if !strings.Contains(h.out.String(), tc.placement) {
				t.Fatalf("the log does not say %q:\n%s", tc.placement, tail(h.out.String(), 40))
			}
			sendAcked(t, h.listenAddr(grpcIP), queueItems)

			killChildThenDeliver(t, h, be)
			if tc.replay != "" {
				h.await(10*time.Second, "the new child's replay line", func() bool {
					return strings.Contains(h.out.String(), tc.replay)
				})
			}
		})
	}
}

// killChildThenDeliver kills the Rust child with kill -9 while the backend
// is down, waits for its replacement, brings the backend up and checks that
// every acknowledged point arrives.
func killChildThenDeliver(t *testing.T, h *hybrid, be *backend) {
	t.Helper()
	child := h.rustChild(10 * time.Second)
	if err := syscall.Kill(child, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	awaitGone(t, child)
	h.await(60*time.Second, "a new Rust child", func() bool {
		pids := procfs.Children(h.cmd.Process.Pid)
		return len(pids) == 1 && pids[0] != child
	})
	if d, _ := be.Seqs(); d != 0 {
		t.Fatalf("the backend got %d points while it was down", d)
	}
	be.bringUp()
	checkAllArrived(t, be, queueItems)
}
