package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.yaml.in/yaml/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/otelcol-hybrid/otelcol-hybrid/internal/testkit"
	"github.com/otelcol-hybrid/otelcol-hybrid/internal/testkit/procfs"
)

// seqClient sends gauge points numbered by a "seq" attribute, so the backend
// can tell lost points from duplicated ones.
type seqClient struct {
	client pmetricotlp.GRPCClient
	conn   *grpc.ClientConn
	next   atomic.Int64
}

func newSeqClient(t *testing.T, endpoint string) *seqClient {
	conn, err := grpc.NewClient(endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return &seqClient{client: pmetricotlp.NewGRPCClient(conn), conn: conn}
}

// send exports one batch of n points; it returns the seq numbers the
// collector acknowledged (all of them on success, none on error).
func (c *seqClient) send(ctx context.Context, n int) ([]int64, error) {
	md := pmetric.NewMetrics()
	ms := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics()
	m := ms.AppendEmpty()
	m.SetName("seq_points")
	dps := m.SetEmptyGauge().DataPoints()
	seqs := make([]int64, n)
	for i := range n {
		s := c.next.Add(1) - 1
		seqs[i] = s
		dp := dps.AppendEmpty()
		dp.SetIntValue(s)
		dp.Attributes().PutInt("seq", s)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := c.client.Export(ctx, pmetricotlp.NewExportRequestFromMetrics(md)); err != nil {
		return nil, err
	}
	return seqs, nil
}

// TestKill9ChildUnderLoadLosesNothing: the Rust child is SIGKILLed while a
// client sends; the supervisor restarts it and every point the Go receiver
// acknowledged reaches the backend (at-least-once; duplicates are counted).
func TestKill9ChildUnderLoadLosesNothing(t *testing.T) {
	t.Parallel()
	skipInEmbedded(t, "no Rust child to kill")
	s := startScenario(t, "pass_through.yaml", scenarioOpts{})
	be, h := s.be, s.h
	first := h.rustChild(10 * time.Second)

	c := newSeqClient(t, s.grpc)
	var acked sync.Map
	var ackedN, failed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				seqs, err := c.send(context.Background(), 50)
				if err != nil {
					failed.Add(1)
					continue
				}
				for _, s := range seqs {
					acked.Store(s, true)
				}
				ackedN.Add(int64(len(seqs)))
			}
		}()
	}
	testkit.Eventually(t, time.Minute, "load flowing", func() bool { return ackedN.Load() >= 2000 })
	if err := syscall.Kill(first, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var second int
	testkit.Eventually(t, time.Minute, "a new otelcol-rust child", func() bool {
		pids := procfs.Children(h.cmd.Process.Pid)
		if len(pids) == 1 && pids[0] != first {
			second = pids[0]
			return true
		}
		return false
	})
	before := ackedN.Load()
	testkit.Eventually(t, time.Minute, "load flowing after the restart", func() bool { return ackedN.Load() >= before+2000 })
	close(stop)
	wg.Wait()

	// Graceful stop drains the bridge exporter's queue into the new child.
	h.stopGracefully(90 * time.Second)
	var lost []int64
	acked.Range(func(k, _ any) bool {
		if be.seqCount(k.(int64)) == 0 {
			lost = append(lost, k.(int64))
		}
		return true
	})
	distinct, dups := be.Seqs()
	t.Logf("acked %d points (%d batches refused while the child was down), backend got %d distinct, %d duplicates; child %d → %d",
		ackedN.Load(), failed.Load(), distinct, dups, first, second)
	if len(lost) > 0 {
		t.Fatalf("%d acknowledged points never reached the backend, e.g. seq %v", len(lost), lost[:min(5, len(lost))])
	}
	if !strings.Contains(h.out.String(), "restart") {
		t.Errorf("the parent's log does not mention the restart")
	}
}

// TestSIGTERMStopsBothAndCleansUp: both processes exit 0 within the grace
// period and no socket or config file is left; only the verified cache may stay.
func TestSIGTERMStopsBothAndCleansUp(t *testing.T) {
	t.Parallel()
	skipInEmbedded(t, "no Rust child and no bridge sockets")
	h := startScenario(t, "pass_through.yaml", scenarioOpts{}).h
	child := h.rustChild(10 * time.Second)
	entries, _ := os.ReadDir(h.runtimeDir)
	if len(entries) != 1 {
		t.Fatalf("want one runtime dir while running, got %v", entries)
	}
	rd := filepath.Join(h.runtimeDir, entries[0].Name())
	var socks int
	// Walk errors are ignored on purpose: the child may remove files while we look.
	_ = filepath.Walk(rd, func(p string, fi os.FileInfo, _ error) error {
		if fi != nil && fi.Mode()&os.ModeSocket != 0 {
			socks++
		}
		return nil
	})
	if socks < 2 {
		t.Fatalf("want bridge + health sockets in %s, found %d", rd, socks)
	}
	start := time.Now()
	h.stopGracefully(30 * time.Second)
	t.Logf("parent exited %s after SIGTERM", time.Since(start))
	testkit.Eventually(t, 5*time.Second, "child gone", func() bool { return procfs.Gone(child) })
	if !strings.Contains(h.out.String(), "exit") {
		t.Logf("log:\n%s", tail(h.out.String(), 30))
	}
	left, _ := os.ReadDir(h.runtimeDir)
	if len(left) != 0 {
		t.Fatalf("runtime dir not cleaned: %v", left)
	}
}

// TestBadConfigFailsBeforeStarting: an error in either half names the
// component, exits non-zero and starts neither half.
func TestBadConfigFailsBeforeStarting(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, config string
		want         []string
	}{
		{"rust half unknown field", "bad_rust_field.yaml", []string{"advanced_filter", "drop_metricz"}},
		{"go half unknown field", "bad_go_field.yaml", []string{"otlp", "endpointz"}},
		{"unknown type", "bad_unknown_type.yaml", []string{"advanced_filtr", "metrics"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg, _ := renderConfig(t, tc.config, nil)
			h := startHybrid(t, cfg, hybridOpts{})
			code := h.wait(60 * time.Second)
			out := h.out.String()
			if code == 0 {
				t.Fatalf("exit 0 on a bad config:\n%s", out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("error does not name %q:\n%s", w, tail(out, 20))
				}
			}
			if strings.Contains(out, "Everything is ready") || strings.Contains(out, "Starting otelcol-rust") {
				t.Errorf("a half was started despite the bad config:\n%s", tail(out, 20))
			}
			if left, _ := os.ReadDir(h.runtimeDir); len(left) != 0 {
				t.Errorf("runtime dir left behind: %v", left)
			}
		})
	}
}

// TestAllGoConfigStartsNoSubprocess: no Rust component, no child, nothing extracted.
func TestAllGoConfigStartsNoSubprocess(t *testing.T) {
	t.Parallel()
	s := startScenario(t, "all_go.yaml", scenarioOpts{hybridOpts: hybridOpts{env: []string{"OTELCOL_HYBRID_EXTRACT=disk"}}})
	h := s.h
	s.sendMetrics("go_only", 10)
	s.waitPoints("go_only", 10)
	if pids := procfs.Children(h.cmd.Process.Pid); len(pids) != 0 {
		t.Fatalf("all-Go config started children %v", pids)
	}
	if entries, err := os.ReadDir(h.cacheDir); err == nil && len(entries) > 0 {
		t.Fatalf("all-Go config extracted something into %s: %v", h.cacheDir, entries)
	}
	if left, _ := os.ReadDir(h.runtimeDir); len(left) != 0 {
		t.Fatalf("all-Go config made a runtime dir: %v", left)
	}
	h.stopGracefully(30 * time.Second)
}

// TestValidateMixedConfigLeavesNothingAccessible: `validate` checks both
// halves with the embedded otelcol-rust, from a fresh TMPDIR, and leaves no
// group/world-accessible file or directory behind.
func TestValidateMixedConfigLeavesNothingAccessible(t *testing.T) {
	t.Parallel()
	skipInEmbedded(t, "nothing is extracted (no memfd or disk copy)")
	bin := hybridBin(t)
	dir := shortTempDir(t)
	tmp := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "c.yaml")
	// validate binds nothing: the addresses are only checked.
	good, _ := renderConfig(t, "pass_through.yaml", map[string]string{"GRPC": "127.0.0.1:4317", "BACKEND": "127.0.0.1:4318"})
	if err := os.WriteFile(cfg, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"disk", "memfd"} {
		cmd := exec.Command(bin, "validate", "--config", cfg)
		cmd.Env = []string{"HOME=" + dir, "TMPDIR=" + tmp, "OTELCOL_HYBRID_EXTRACT=" + mode}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("validate (%s): %v\n%s", mode, err, out)
		}
	}
	var found int
	if err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || p == dir || p == cfg {
			return nil
		}
		found++
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s is group/world accessible: %v", p, fi.Mode())
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d files/dirs under the fresh HOME/TMPDIR after validate", found)

	// And a bad Rust half fails validate with the component named.
	bad := strings.Replace(good, "drop_metrics", "drop_metricz", 1)
	if err := os.WriteFile(cfg, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "validate", "--config", cfg)
	cmd.Env = []string{"HOME=" + dir, "TMPDIR=" + tmp}
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "drop_metricz") {
		t.Fatalf("validate accepted a bad Rust half (err=%v):\n%s", err, out)
	}
}

// TestComponentsListsRuntimes: `components` shows every component with its runtime.
func TestComponentsListsRuntimes(t *testing.T) {
	t.Parallel()
	out := run(t, 30*time.Second, hybridBin(t), "components")
	var listing map[string][]struct {
		Type    string `yaml:"type"`
		Runtime string `yaml:"runtime"`
		Native  string `yaml:"native_type"`
	}
	var raw map[string]any
	if err := yaml.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatalf("components output is not YAML: %v\n%s", err, out)
	}
	delete(raw, "buildinfo")
	b, _ := yaml.Marshal(raw)
	if err := yaml.Unmarshal(b, &listing); err != nil {
		t.Fatal(err)
	}
	runtimeOf := func(kind, typ string) string {
		for _, c := range listing[kind] {
			if c.Type == typ {
				return c.Runtime
			}
		}
		return "missing"
	}
	for _, want := range []struct{ kind, typ, runtime string }{
		{"receivers", "rust_otlp", "rust"}, {"receivers", "otlp", "go"},
		{"processors", "advanced_filter", "rust"}, {"processors", "batch", "go"},
		{"exporters", "otlp_rust", "rust"}, {"exporters", "rust_debug", "rust"}, {"exporters", "debug", "go"},
		{"connectors", "forward", "go"},
	} {
		if got := runtimeOf(want.kind, want.typ); got != want.runtime {
			t.Errorf("%s %s: runtime %s, want %s", want.kind, want.typ, got, want.runtime)
		}
	}
}

func (b *backend) seqCount(s int64) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.seqSeen[s]
}

// TestParentKill9TakesChildDown: SIGKILL of otelcol-hybrid (no chance to clean
// up) still takes otelcol-rust down within a second (Pdeathsig, plus the
// child's own stdin-EOF / parent-pid check).
func TestParentKill9TakesChildDown(t *testing.T) {
	t.Parallel()
	skipInEmbedded(t, "no Rust child to outlive the parent")
	h := startScenario(t, "pass_through.yaml", scenarioOpts{}).h
	child := h.rustChild(10 * time.Second)
	killed := time.Now()
	if err := h.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	h.wait(10 * time.Second)
	testkit.Eventually(t, time.Second, "the child to die with its parent", func() bool { return procfs.Gone(child) })
	t.Logf("child gone %s after the parent's SIGKILL", time.Since(killed).Round(time.Millisecond))
}
