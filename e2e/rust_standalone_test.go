package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/otelcol-hybrid/otelcol-hybrid/internal/testkit"
)

// TestRustCollectorAsANewUserWouldRunIt runs bin/otelcol-rust on its own:
// an otlp receiver on a unix socket, advanced_filter dropping `up` and
// `scrape_*`, the OTLP exporter to a real backend; telemetrygen sends over the
// socket, grpc-health-probe sees SERVING, SIGTERM exits 0 within 5 s.
func TestRustCollectorAsANewUserWouldRunIt(t *testing.T) {
	t.Parallel()
	rustBin := testkit.Binary(t, "OTELCOL_RUST_BIN")
	tg := testkit.Binary(t, "TELEMETRYGEN_BIN")
	probe := testkit.Binary(t, "GRPC_HEALTH_PROBE_BIN")
	be := startBackend(t)
	dir := shortTempDir(t)
	sock := filepath.Join(dir, "in.sock")
	cfg := filepath.Join(dir, "rust.yaml")
	rendered, _ := renderConfig(t, "rust_standalone.yaml", map[string]string{"SOCKET": sock, "BACKEND": be.Addr})
	if err := os.WriteFile(cfg, []byte(rendered), 0o600); err != nil {
		t.Fatal(err)
	}

	out := &testkit.SyncBuffer{}
	cmd := exec.Command(rustBin, "--config", cfg)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	testkit.Eventually(t, 30*time.Second, "SERVING from grpc-health-probe", func() bool {
		return exec.Command(probe, "-addr", "unix://"+sock).Run() == nil
	})
	if got := run(t, 10*time.Second, probe, "-addr", "unix://"+sock); !strings.Contains(got, "SERVING") {
		t.Fatalf("grpc-health-probe: %s", got)
	}
	for _, name := range []string{"up", "scrape_samples_scraped", "http_requests_total"} {
		run(t, time.Minute, tg, "metrics", "--otlp-endpoint", "unix://"+sock, "--otlp-insecure",
			"--metrics", "25", "--rate", "0", "--otlp-metric-name", name)
	}
	// otlp_rust's sending queue (on by default, as on Go exporters) answers
	// once queued: the kept points reach the backend shortly after.
	testkit.Eventually(t, 30*time.Second, "25 kept points at the backend", func() bool {
		return be.Points("http_requests_total") >= 25
	})
	if got := be.Points("http_requests_total"); got != 25 {
		t.Errorf("http_requests_total: %d points, want 25", got)
	}
	for _, dropped := range []string{"up", "scrape_samples_scraped"} {
		if got := be.Points(dropped); got != 0 {
			t.Errorf("%s: %d points, want 0", dropped, got)
		}
	}
	start := time.Now()
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, tail(out.String(), 20))
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("still running 5 s after SIGTERM:\n%s", tail(out.String(), 20))
	}
	t.Logf("exited 0 %s after SIGTERM", time.Since(start).Round(time.Millisecond))
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Errorf("socket %s left behind", sock)
	}
}
