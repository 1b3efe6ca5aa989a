// Package e2e runs the real otelcol-hybrid binary (with its embedded
// otelcol-rust) against real clients and a real OTLP backend. `make test`
// builds the binaries and points these tests at them through the environment.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/otelcol-hybrid/otelcol-hybrid/internal/testkit"
	"github.com/otelcol-hybrid/otelcol-hybrid/internal/testkit/procfs"
)

// Each endpoint a collector under test binds gets a loopback address of its
// own with port 0: the kernel picks a free port, and the test reads it back
// from the sockets the process holds (hybrid.listenAddr), where guessing a
// free port and hoping nobody takes it first would race with parallel tests.
// The whole of 127.0.0.0/8 is loopback, so the address tells the endpoints
// of one process apart.
const (
	grpcIP   = "127.0.0.1" // the OTLP/gRPC receiver
	httpIP   = "127.0.0.2" // the OTLP/HTTP receiver
	promIP   = "127.0.0.3" // the Prometheus reader of the collector's own metrics
	healthIP = "127.0.0.5" // a health_check extension the test itself reads
	readyIP  = "127.0.0.4" // the health_check extension waitReady polls
)

// bindIP is an endpoint on ip with port 0, for a config.
func bindIP(ip string) string { return ip + ":0" }

// pollEvery is how often the harness re-checks a condition it waits for.
const pollEvery = 20 * time.Millisecond

// readyProbeID is the health_check extension withReadyProbe adds.
const readyProbeID = "health_check/e2e_ready"

// withReadyProbe adds a health_check extension on readyIP to config and
// enables it: its "/" answers 200 once the collector is ready.
func withReadyProbe(config string) (string, error) {
	var doc map[string]any
	if err := yaml.Unmarshal([]byte(config), &doc); err != nil {
		return "", err
	}
	if doc == nil {
		doc = map[string]any{}
	}
	ext, _ := doc["extensions"].(map[string]any)
	if ext == nil {
		ext = map[string]any{}
		doc["extensions"] = ext
	}
	ext[readyProbeID] = map[string]any{"endpoint": bindIP(readyIP)}
	svc, _ := doc["service"].(map[string]any)
	if svc == nil {
		svc = map[string]any{}
		doc["service"] = svc
	}
	enabled, _ := svc["extensions"].([]any)
	svc["extensions"] = append(enabled, readyProbeID)
	b, err := yaml.Marshal(doc)
	return string(b), err
}

// listeners returns the ip:port of every listening TCP socket on ip that one
// of pids holds.
func listeners(pids []int, ip string) []string {
	var out []string
	for _, pid := range pids {
		addrs, _ := testkit.Listening(pid)
		for _, a := range addrs {
			if host, _, _ := net.SplitHostPort(a); host == ip {
				out = append(out, a)
			}
		}
	}
	return out
}

// binary returns the path in env var name, or skips: `make test` always sets
// these, a bare `go test ./...` has not built the binaries.
// hybridBin is the collector under test: bin/otelcol-hybrid, or the
// embedded build when OTELCOL_HYBRID_EMBEDDED_BIN is set (`make
// test-embedded-e2e` runs the whole suite again that way).
func hybridBin(t *testing.T) string {
	t.Helper()
	if embedded() {
		return testkit.Binary(t, "OTELCOL_HYBRID_EMBEDDED_BIN")
	}
	return testkit.Binary(t, "OTELCOL_HYBRID_BIN")
}

// embedded: this run tests the embedded build (Rust linked in-process).
func embedded() bool { return os.Getenv("OTELCOL_HYBRID_EMBEDDED_BIN") != "" }

// skipInEmbedded skips a test about the Rust child process, which an
// embedded build does not have.
func skipInEmbedded(t *testing.T, why string) {
	t.Helper()
	if embedded() {
		t.Skip("embedded build: " + why)
	}
}

// shortTempDir is a temp dir with a short path: bridge sockets live under it
// and unix socket paths are limited to ~104 bytes.
func shortTempDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "e2e")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(d) })
	return d
}

// hybrid is one running otelcol-hybrid process.
type hybrid struct {
	t          *testing.T
	cmd        *exec.Cmd
	out        *testkit.SyncBuffer
	runtimeDir string // base dir for per-process runtime dirs
	cacheDir   string
	exited     chan struct{}
	waitErr    error
}

type hybridOpts struct {
	env  []string
	args []string
}

// startHybrid writes config to a file, with a health_check extension on
// readyIP added for waitReady, and runs otelcol-hybrid on it.
func startHybrid(t *testing.T, config string, o hybridOpts) *hybrid {
	t.Helper()
	bin := hybridBin(t)
	dir := shortTempDir(t)
	cfgPath := filepath.Join(dir, "config.yaml")
	config, err := withReadyProbe(config)
	if err != nil {
		t.Fatalf("the test's config is not YAML: %v", err)
	}
	if err := os.WriteFile(cfgPath, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	h := &hybrid{t: t, out: &testkit.SyncBuffer{}, runtimeDir: filepath.Join(dir, "run"), cacheDir: filepath.Join(dir, "cache"), exited: make(chan struct{})}
	if err := os.Mkdir(h.runtimeDir, 0o700); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"--config", cfgPath}, o.args...)
	h.cmd = exec.Command(bin, args...)
	h.cmd.Env = append(os.Environ(),
		"OTELCOL_HYBRID_RUNTIME_DIR="+h.runtimeDir,
		"OTELCOL_HYBRID_CACHE_DIR="+h.cacheDir,
		"TMPDIR="+dir,
	)
	h.cmd.Env = append(h.cmd.Env, o.env...)
	h.cmd.Stdout, h.cmd.Stderr = h.out, h.out
	if err := h.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { h.waitErr = h.cmd.Wait(); close(h.exited) }()
	t.Cleanup(func() {
		_ = h.cmd.Process.Kill()
		<-h.exited
		// Reap a child the parent could not stop (the test failed): never leak processes.
		for _, pid := range procfs.Children(h.cmd.Process.Pid) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		if t.Failed() {
			t.Logf("otelcol-hybrid output:\n%s", tail(h.out.String(), 80))
		}
	})
	return h
}

// waitReady waits until the collector's health endpoint (the probe
// startHybrid adds to every config) answers 200: the service reports ready
// once every component, the Rust half included, has started.
func (h *hybrid) waitReady() {
	h.t.Helper()
	addr := h.listenAddr(readyIP)
	client := &http.Client{Timeout: time.Second}
	h.await(90*time.Second, "the health endpoint "+addr+" to answer 200", func() bool {
		resp, err := client.Get("http://" + addr + "/")
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// await polls cond until it holds; it fails the test when timeout passes or
// the collector exits first.
func (h *hybrid) await(timeout time.Duration, what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		select {
		case <-h.exited:
			h.t.Fatalf("otelcol-hybrid exited (%v) while waiting for %s:\n%s", h.waitErr, what, tail(h.out.String(), 60))
		case <-time.After(pollEvery):
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out after %s waiting for %s:\n%s", timeout, what, tail(h.out.String(), 60))
		}
	}
}

// listenAddr is the address the collector or its Rust child listens on at
// ip (see bindIP): the one listening TCP socket on ip that one of the two
// processes holds. It waits for the socket to appear.
func (h *hybrid) listenAddr(ip string) string {
	h.t.Helper()
	var addr string
	h.await(30*time.Second, "one listener on "+ip+" in otelcol-hybrid or its child", func() bool {
		pids := append([]int{h.cmd.Process.Pid}, procfs.Children(h.cmd.Process.Pid)...)
		found := listeners(pids, ip)
		if len(found) == 1 {
			addr = found[0]
		}
		return len(found) == 1
	})
	return addr
}

// wait waits for exit and returns the exit code.
func (h *hybrid) wait(timeout time.Duration) int {
	h.t.Helper()
	select {
	case <-h.exited:
	case <-time.After(timeout):
		h.t.Fatalf("otelcol-hybrid did not exit within %s:\n%s", timeout, tail(h.out.String(), 60))
	}
	if h.waitErr == nil {
		return 0
	}
	ee := &exec.ExitError{}
	if errors.As(h.waitErr, &ee) {
		return ee.ExitCode()
	}
	h.t.Fatalf("wait: %v", h.waitErr)
	return -1
}

// stopGracefully sends SIGTERM (what systemd and Ctrl-C do) and requires a
// clean exit 0 within timeout: graceful stop drains both halves.
func (h *hybrid) stopGracefully(timeout time.Duration) {
	h.t.Helper()
	if err := h.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		h.t.Fatalf("SIGTERM: %v", err)
	}
	if code := h.wait(timeout); code != 0 {
		h.t.Fatalf("exit code %d after SIGTERM, want 0", code)
	}
}

// rustChild returns the pid of the otelcol-rust child (polling until there is one).
func (h *hybrid) rustChild(timeout time.Duration) int {
	h.t.Helper()
	var pid int
	h.await(timeout, fmt.Sprintf("a single otelcol-rust child of pid %d", h.cmd.Process.Pid), func() bool {
		pids := procfs.Children(h.cmd.Process.Pid)
		if len(pids) == 1 {
			pid = pids[0]
		}
		return len(pids) == 1
	})
	return pid
}

// run runs a client command (telemetrygen, grpc-health-probe) to completion.
func run(t *testing.T, timeout time.Duration, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, tail(out.String(), 30))
	}
	return out.String()
}

func tail(s string, lines int) string {
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 0, 64*1024), 4<<20)
	var all []string
	for sc.Scan() {
		all = append(all, sc.Text())
	}
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// renderConfig reads testdata/name and fills in its ${NAME} placeholders
// from vars, plus the bind addresses every config may use: ${GRPC}, ${HTTP}
// (the receivers), ${PROM_HOST} (the Prometheus reader's host, port 0) and
// ${HEALTH}. Other ${...} text, such as the collector's own ${env:X}, is
// left for the collector. used tells which placeholders the file has.
func renderConfig(t *testing.T, name string, vars map[string]string) (config string, used map[string]bool) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	all := map[string]string{
		"GRPC": bindIP(grpcIP), "HTTP": bindIP(httpIP), "PROM_HOST": promIP, "HEALTH": bindIP(healthIP),
	}
	for k, v := range vars {
		all[k] = v
	}
	used = map[string]bool{}
	config = os.Expand(string(raw), func(k string) string {
		v, ok := all[k]
		if !ok {
			if strings.Contains(k, ":") {
				return "${" + k + "}"
			}
			t.Fatalf("%s: no value for ${%s}", name, k)
		}
		used[k] = true
		return v
	})
	return config, used
}

// scenario is the shape of most tests here: a backend the test owns, a
// collector on a testdata config delivering to it, then the test's sends, a
// wait for what must arrive and a graceful stop.
type scenario struct {
	t  *testing.T
	be *backend
	h  *hybrid
	// The collector's receiver endpoints, read back from its sockets ("" when
	// the config has no ${GRPC} or ${HTTP}).
	grpc, http string
	// Where the collector serves its own metrics and the test's health
	// endpoint ("" when the config has no ${PROM_HOST} or ${HEALTH}).
	prom, health string
}

type scenarioOpts struct {
	hybridOpts
	vars map[string]string // more placeholders; ${BACKEND} is the backend's address
	be   *backend          // the backend to use, or nil for a fresh one
}

// startScenario starts the backend and the collector on testdata/config and
// waits until the collector is ready and its endpoints are known.
func startScenario(t *testing.T, config string, o scenarioOpts) *scenario {
	t.Helper()
	s := &scenario{t: t, be: o.be}
	if s.be == nil {
		s.be = startBackend(t)
	}
	vars := map[string]string{"BACKEND": s.be.Addr}
	for k, v := range o.vars {
		vars[k] = v
	}
	cfg, used := renderConfig(t, config, vars)
	s.h = startHybrid(t, cfg, o.hybridOpts)
	s.h.waitReady()
	s.readBack(used)
	return s
}

// readBack (re)reads the endpoints the config binds: a restarted Rust child
// binds a receiver placed in it anew, on a new port.
func (s *scenario) readBack(used map[string]bool) {
	s.t.Helper()
	for k, dst := range map[string]*string{"GRPC": &s.grpc, "HTTP": &s.http, "PROM_HOST": &s.prom, "HEALTH": &s.health} {
		if used[k] {
			*dst = s.h.listenAddr(map[string]string{"GRPC": grpcIP, "HTTP": httpIP, "PROM_HOST": promIP, "HEALTH": healthIP}[k])
		}
	}
}

// sendMetrics sends n gauge points named name to the gRPC receiver.
func (s *scenario) sendMetrics(name string, n int) {
	s.t.Helper()
	sendMetrics(s.t, s.grpc, name, n)
}

// telemetrygen runs telemetrygen with args against the gRPC receiver, or the
// HTTP one when args has --otlp-http.
func (s *scenario) telemetrygen(signal string, args ...string) {
	s.t.Helper()
	endpoint := s.grpc
	for _, a := range args {
		if a == "--otlp-http" {
			endpoint = s.http
		}
	}
	run(s.t, 2*time.Minute, testkit.Binary(s.t, "TELEMETRYGEN_BIN"),
		append([]string{signal, "--otlp-endpoint", endpoint, "--otlp-insecure", "--rate", "0"}, args...)...)
}

// waitPoints waits until the backend has n points named name.
func (s *scenario) waitPoints(name string, n int) {
	s.t.Helper()
	testkit.Eventually(s.t, time.Minute, fmt.Sprintf("%d %s points at the backend", n, name), func() bool {
		return s.be.Points(name) == n
	})
}

// stop stops the collector gracefully, draining what is in flight, so that
// what the backend has afterwards is final.
func (s *scenario) stop() {
	s.t.Helper()
	s.h.stopGracefully(60 * time.Second)
}
