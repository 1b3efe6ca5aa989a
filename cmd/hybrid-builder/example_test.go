package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	_ "google.golang.org/grpc/encoding/gzip" // the Go otlp exporter sends gzip

	"github.com/otelcol-hybrid/otelcol-hybrid/builder"

	"github.com/otelcol-hybrid/otelcol-hybrid/internal/testkit"
)

// exampleBinary is the distribution `make test-builder` builds from the
// design's manifest, examples/design-manifest.yaml (HYBRID_EXAMPLE_BIN).
func exampleBinary(t *testing.T) string {
	bin := os.Getenv("HYBRID_EXAMPLE_BIN")
	if bin == "" {
		t.Skip("HYBRID_EXAMPLE_BIN not set: run `make test-builder`")
	}
	return bin
}

// The distribution's `components` lists exactly its manifest's components,
// each with its runtime, plus what the builder adds: the Rust ends of the
// bridges, their Go ends and the Go extensions and processor that run the
// Rust half (a Rust type a Go one already uses gets the rust_ prefix).
func TestExampleComponents(t *testing.T) {
	rows, err := builder.ReadCatalog(exampleBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, fmt.Sprintf("%s %s %s", r.Kind, r.Type, r.Runtime))
	}
	sort.Strings(got)
	want := []string{
		"exporter otap rust",             // cargo: otap_exporter
		"exporter otlp go",               // otlpexporter (deprecated alias)
		"exporter otlp_grpc go",          // otlpexporter
		"exporter otlp_rust rust",        // bridge: otlp_rust_exporter (added)
		"extension bridge_context go",    // extension/bridgectxext (added)
		"extension rust_subprocess go",   // extension/subprocessext (added)
		"processor advanced_filter rust", // cargo: advanced_filter
		"processor batch go",             // batchprocessor
		"processor bridge_cancel go",     // processor/bridgecancel (added)
		"receiver jaeger rust",           // cargo: jaeger_receiver
		"receiver otlp go",               // bridge: otlpreceiver (added)
		"receiver prometheus go",         // contrib prometheusreceiver
		"receiver rust_otlp rust",        // bridge: otlp_receiver (added; native "otlp")
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("components:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	m, err := builder.ParseManifestFile(filepath.Join("..", "..", "examples", "design-manifest.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Runtime != "go" {
			continue
		}
		listed := false
		for _, g := range append(m.Go, m.AddedGoEntries()...) {
			listed = listed || (g.Kind == r.Kind && g.GoMod == r.Module)
		}
		if !listed {
			t.Errorf("Go %s %s from %q is neither a manifest entry nor added by the builder", r.Kind, r.Type, r.Module)
		}
	}
}

// A mixed pipeline end to end: Go otlp receiver → Rust advanced_filter →
// Go otlp exporter → a real OTLP/gRPC backend (two bridges, both directions).
func TestExampleMixedPipeline(t *testing.T) {
	bin := exampleBinary(t)
	t.Parallel()
	mixedPipeline(t, bin, func(t *testing.T, pid int, _, _, _ string) {
		// The other mode's checks (embedded_example_test.go) look for the
		// absence of this child.
		if kids := children(t, pid); len(kids) != 1 {
			t.Errorf("the subprocess collector runs %v, want its one otelcol-rust child", kids)
		}
	})
}

// mixedPipeline runs bin with the mixed pipeline and checks what reaches the
// backend; whileRunning (if any) inspects the running collector (pid, its
// runtime and cache dirs, its output so far) once data went through.
func mixedPipeline(t *testing.T, bin string, whileRunning func(t *testing.T, pid int, runtimeDir, cacheDir, log string)) {
	t.Helper()
	be := startBackend(t)
	dir, err := os.MkdirTemp("", "hyb") // short: unix socket paths are limited
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	cfg := filepath.Join(dir, "config.yaml")
	err = os.WriteFile(cfg, []byte(fmt.Sprintf(`
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: %s:0
processors:
  advanced_filter:
    drop_metrics: [up]
exporters:
  otlp_grpc:
    endpoint: %s
    tls: {insecure: true}
service:
  telemetry:
    metrics:
      level: none
  pipelines:
    metrics:
      receivers: [otlp]
      processors: [advanced_filter]
      exporters: [otlp_grpc]
`, receiverIP, be.addr)), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config", cfg)
	cmd.Env = append(os.Environ(), "OTELCOL_HYBRID_RUNTIME_DIR="+dir, "OTELCOL_HYBRID_CACHE_DIR="+filepath.Join(dir, "c"))
	var out testkit.SyncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // so cleanup reaches the Rust child too
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		// The group outlives its leader only while the leader is unreaped or
		// its child lingers; kill the group before reaping, never after.
		var waitErr error
		select {
		case waitErr = <-exited:
		default:
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			waitErr = <-exited
		}
		if t.Failed() {
			t.Logf("collector (exit: %v) output:\n%s", waitErr, out.String())
		}
	})
	testkit.Eventually(t, 90*time.Second, "the collector to be ready", func() bool {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("the collector exited before it was ready: %v", err)
		default:
		}
		return strings.Contains(out.String(), "Everything is ready")
	})
	in := receiverAddr(t, cmd.Process.Pid)

	conn, err := grpc.NewClient(in, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	client := pmetricotlp.NewGRPCClient(conn)
	for _, name := range []string{"up", "requests_total", "up", "requests_total"} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := client.Export(ctx, pmetricotlp.NewExportRequestFromMetrics(gauge(name)))
		cancel()
		if err != nil {
			t.Fatalf("export %s: %v", name, err)
		}
	}
	testkit.Eventually(t, 30*time.Second, "requests_total at the backend", func() bool { return be.points("requests_total") == 2 })
	// Anything else in flight would arrive meanwhile.
	testkit.Consistently(t, 500*time.Millisecond, "no `up` point through the Rust filter", func() bool { return be.points("up") == 0 })
	if whileRunning != nil {
		whileRunning(t, cmd.Process.Pid, dir, filepath.Join(dir, "c"), out.String())
	}
	// SIGTERM: both halves stop cleanly.
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		exited <- err // for the cleanup
		if err != nil {
			t.Errorf("exit after SIGTERM: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Error("no exit within 30s of SIGTERM")
	}
}

// receiverIP is the loopback address the receiver binds with port 0: the
// kernel picks a free port, which receiverAddr reads back, where guessing
// one and hoping nobody takes it first would race with parallel tests. The
// collector listens on nothing else there.
const receiverIP = "127.0.0.6"

// receiverAddr is the receiver's address: the one TCP socket the collector
// (pid) listens on at receiverIP. The receiver stays in the Go process, its
// pipeline going on to a Go exporter.
func receiverAddr(t *testing.T, pid int) string {
	t.Helper()
	var addr string
	testkit.Await(t, 30*time.Second, func() error {
		all, err := testkit.Listening(pid)
		if err != nil {
			return err
		}
		var on []string
		for _, a := range all {
			if host, _, _ := net.SplitHostPort(a); host == receiverIP {
				on = append(on, a)
			}
		}
		if len(on) != 1 {
			return fmt.Errorf("the collector listens on %v at %s, want one receiver", on, receiverIP)
		}
		addr = on[0]
		return nil
	})
	return addr
}

func gauge(name string) pmetric.Metrics {
	md := pmetric.NewMetrics()
	m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName(name)
	dp := m.SetEmptyGauge().DataPoints().AppendEmpty()
	dp.SetIntValue(1)
	dp.SetTimestamp(1)
	return md
}

// backend is a tiny OTLP/gRPC metrics server counting points per name.
type backend struct {
	pmetricotlp.UnimplementedGRPCServer
	addr string
	mu   sync.Mutex
	seen map[string]int
}

func startBackend(t *testing.T) *backend {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &backend{addr: l.Addr().String(), seen: map[string]int{}}
	srv := grpc.NewServer()
	pmetricotlp.RegisterGRPCServer(srv, b)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(srv.Stop)
	return b
}

func (b *backend) Export(_ context.Context, req pmetricotlp.ExportRequest) (pmetricotlp.ExportResponse, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	rms := req.Metrics().ResourceMetrics()
	for i := range rms.Len() {
		sms := rms.At(i).ScopeMetrics()
		for j := range sms.Len() {
			ms := sms.At(j).Metrics()
			for k := range ms.Len() {
				b.seen[ms.At(k).Name()] += ms.At(k).Gauge().DataPoints().Len()
			}
		}
	}
	return pmetricotlp.NewExportResponse(), nil
}

func (b *backend) points(name string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.seen[name]
}
