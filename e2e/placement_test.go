package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-hybrid/otelcol-hybrid/internal/testkit"
)

// partitionCmd runs `otelcol-hybrid partition` on config and returns its
// stdout and the two halves it wrote.
func partitionCmd(t *testing.T, config string) (out, goYAML, rustYAML string) {
	t.Helper()
	dir := shortTempDir(t)
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(hybridBin(t), "partition", "--config", cfg, "--out", filepath.Join(dir, "out"))
	cmd.Env = append(os.Environ(), "OTELCOL_HYBRID_RUNTIME_DIR="+filepath.Join(dir, "run"))
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("partition: %v\n%s", err, b)
	}
	g, _ := os.ReadFile(filepath.Join(dir, "out", "go.yaml"))
	r, _ := os.ReadFile(filepath.Join(dir, "out", "rust.yaml"))
	return string(b), string(g), string(r)
}

// sendPlacementLoad sends, over gRPC and over HTTP, points the filter keeps
// and points it drops, plus kept and dropped logs over HTTP.
func sendPlacementLoad(s *scenario) {
	s.t.Helper()
	s.sendMetrics("keep_grpc", 40)
	s.sendMetrics("up", 40)
	s.telemetrygen("metrics", "--otlp-http", "--metrics", "30", "--otlp-metric-name", "keep_http")
	s.telemetrygen("metrics", "--otlp-http", "--metrics", "30", "--otlp-metric-name", "up")
	s.telemetrygen("logs", "--otlp-http", "--logs", "20", "--body", "keep me")
	s.telemetrygen("logs", "--otlp-http", "--logs", "20", "--body", "drop me please")
}

// checkPlacementCounts: exact counts at the backend after a graceful stop.
func checkPlacementCounts(s *scenario) {
	t, be := s.t, s.be
	t.Helper()
	s.waitPoints("keep_grpc", 40)
	s.waitPoints("keep_http", 30)
	s.stop()
	t.Logf("at the backend: keep_grpc %d, keep_http %d, up %d points; %d kept, %d dropped logs",
		be.Points("keep_grpc"), be.Points("keep_http"), be.Points("up"), be.Logs("keep me"), be.Logs("drop me please"))
	for name, want := range map[string]int{"keep_grpc": 40, "keep_http": 30, "up": 0} {
		if got := be.Points(name); got != want {
			t.Errorf("%s: %d points at the backend, want %d", name, got, want)
		}
	}
	if got := be.Logs("keep me"); got != 20 {
		t.Errorf("kept logs: %d, want 20", got)
	}
	if got := be.Logs("drop me please"); got != 0 {
		t.Errorf("dropped logs reached the backend: %d", got)
	}
}

// TestGoReceiverPlacedInRust: by default the Go otlp receiver, followed only
// by Rust components, runs in the Rust child on the user's endpoints: no
// bridge in the partition, the child owns both listening sockets, and gRPC
// and HTTP clients get exactly the filtered data through.
func TestGoReceiverPlacedInRust(t *testing.T) {
	t.Parallel()
	be := startBackend(t)
	vars := map[string]string{"BACKEND": be.Addr, "RECEIVER_PLACEMENT": "true", "WORKER_THREADS": "0"}
	cfg, _ := renderConfig(t, "placement.yaml", vars)

	out, goYAML, rustYAML := partitionCmd(t, cfg)
	want := "receiver otlp runs in the Rust half: every pipeline after it is Rust (logs, metrics), no bridge"
	if !strings.Contains(out, want) || !strings.Contains(out, "(0 bridges)") {
		t.Fatalf("partition output lacks %q or (0 bridges):\n%s", want, out)
	}
	if strings.Contains(goYAML, "/bridge_") || strings.Contains(rustYAML, "/bridge_") || strings.Contains(goYAML, "bridge_cancel") {
		t.Fatalf("a bridge was built:\n--- go.yaml\n%s\n--- rust.yaml\n%s", goYAML, rustYAML)
	}
	for _, s := range []string{"endpoint: " + bindIP(grpcIP), "endpoint: " + bindIP(httpIP), "traces_url_path: /v1/traces"} {
		if !strings.Contains(rustYAML, s) {
			t.Fatalf("rust.yaml lacks %q:\n%s", s, rustYAML)
		}
	}
	// A Rust half with a receiver of its own runs whole pipelines: one
	// runtime thread per CPU, the Rust default.
	if strings.Contains(rustYAML, "worker_threads") {
		t.Fatalf("rust.yaml sizes the runtime of a half that has its own receiver:\n%s", rustYAML)
	}

	s := startScenario(t, "placement.yaml", scenarioOpts{be: be, vars: vars})
	h := s.h
	if !strings.Contains(h.out.String(), want) {
		t.Fatalf("start-up log lacks %q", want)
	}
	// The Rust receiver listens in the child, or in the process itself when embedded.
	owner := h.cmd.Process.Pid
	if !embedded() {
		owner = h.rustChild(10 * time.Second)
	}
	for _, addr := range []string{s.grpc, s.http} {
		if pid := listenerPID(t, addr); pid != owner {
			t.Fatalf("%s is listened on by pid %d, want the Rust half's %d (parent %d)", addr, pid, owner, h.cmd.Process.Pid)
		}
	}
	sendPlacementLoad(s)
	checkPlacementCounts(s)
}

// TestReceiverPlacementOff: receiver_placement: false keeps the receiver in
// the Go parent and builds the bridge; the data arrives the same.
func TestReceiverPlacementOff(t *testing.T) {
	t.Parallel()
	be := startBackend(t)
	vars := map[string]string{"BACKEND": be.Addr, "RECEIVER_PLACEMENT": "false", "WORKER_THREADS": "3"}
	cfg, _ := renderConfig(t, "placement.yaml", vars)

	out, goYAML, rustYAML := partitionCmd(t, cfg)
	want := "receiver otlp stays in Go: receiver placement is off"
	if !strings.Contains(out, want) || !strings.Contains(out, "(2 bridges)") {
		t.Fatalf("partition output lacks %q or (2 bridges):\n%s", want, out)
	}
	goEnd, rustEnd := "otlp_grpc/bridge_", "otlp/bridge_"
	if embedded() {
		goEnd, rustEnd = "ffi_bridge/bridge_", "ffi_bridge/bridge_"
	}
	if !strings.Contains(goYAML, goEnd) || !strings.Contains(rustYAML, rustEnd) {
		t.Fatalf("no bridge:\n--- go.yaml\n%s\n--- rust.yaml\n%s", goYAML, rustYAML)
	}
	if !strings.Contains(rustYAML, "worker_threads: 3") {
		t.Fatalf("rust.yaml lacks the operator's worker_threads: 3:\n%s", rustYAML)
	}

	s := startScenario(t, "placement.yaml", scenarioOpts{be: be, vars: vars})
	h := s.h
	if !strings.Contains(h.out.String(), want) {
		t.Fatalf("start-up log lacks %q", want)
	}
	// The runtime reports its own size as it starts, in either mode.
	if !regexp.MustCompile(`otelcol-rust (starting|started in-process).*"worker_threads": 3\b`).MatchString(h.out.String()) {
		t.Fatalf("the Rust half's start line does not report worker_threads 3:\n%s", tail(h.out.String(), 40))
	}
	for _, addr := range []string{s.grpc, s.http} {
		if pid := listenerPID(t, addr); pid != h.cmd.Process.Pid {
			t.Fatalf("%s is listened on by pid %d, want the Go parent %d", addr, pid, h.cmd.Process.Pid)
		}
	}
	sendPlacementLoad(s)
	checkPlacementCounts(s)
}

// listenerPID finds the process holding the listening TCP socket on addr
// (ip:port).
func listenerPID(t *testing.T, addr string) int {
	t.Helper()
	procs, _ := os.ReadDir("/proc")
	for _, e := range procs {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if addrs, _ := testkit.Listening(pid); slices.Contains(addrs, addr) {
			return pid
		}
	}
	t.Fatalf("no process holds the listener of %s", addr)
	return 0
}
