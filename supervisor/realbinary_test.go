package supervisor

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-hybrid/otelcol-hybrid/internal/testkit"
)

// These run the real otelcol-rust when OTELCOL_RUST_BIN points at it
// (`make test` always sets it).
func realHarness(t *testing.T, config func(dir string) string) *harness {
	t.Helper()
	bin := testkit.Binary(t, "OTELCOL_RUST_BIN")
	h := newHarness(t)
	core, logs := observer.New(zapcore.DebugLevel)
	h.logs = logs
	h.cfg.Logger = zap.New(core)
	h.cfg.Path = bin
	h.cfg.ConfigFile = filepath.Join(h.dir, "rust.yaml")
	if err := os.WriteFile(h.cfg.ConfigFile, []byte(config(h.dir)), 0o600); err != nil {
		t.Fatal(err)
	}
	h.cfg.Args = []string{"--config", h.cfg.ConfigFile, "--exit-on-stdin-eof"}
	h.cfg.Env = nil
	h.cfg.Probe.Timeout = h.cfg.Probe.Period * 10
	return h
}

// rustConfig is the smallest Rust half: otlp receiver on a unix socket,
// health_check extension, debug exporter (docs/interfaces.md).
func rustConfig(dir string) string {
	health := "unix://" + filepath.Join(dir, "h.sock")
	recv := "unix://" + filepath.Join(dir, "b0.sock")
	if runtime.GOOS == "windows" {
		health, recv = "127.0.0.1:0", "127.0.0.1:0"
	}
	return fmt.Sprintf(`receivers:
  otlp/bridge_0:
    protocols:
      grpc:
        endpoint: %s
exporters:
  debug: {}
extensions:
  health_check:
    endpoint: %s
service:
  extensions: [health_check]
  pipelines:
    traces:
      receivers: [otlp/bridge_0]
      exporters: [debug]
`, recv, health)
}

func TestRealCollectorStartStop(t *testing.T) {
	h := realHarness(t, rustConfig)
	s := h.start()
	if st := s.Status(); st.State != StateReady {
		t.Fatalf("status %+v", st)
	}
	if !exists(filepath.Join(h.dir, "b0.sock")) {
		t.Fatal("otlp receiver socket missing while ready")
	}
	shutdown(t, s)
	st := s.Status()
	if st.LastExitCode != 0 || st.LastSignal != "" {
		t.Fatalf("otelcol-rust did not exit 0 on SIGTERM: %+v", st)
	}
	for _, p := range []string{h.cfg.ConfigFile, h.sock, filepath.Join(h.dir, "b0.sock")} {
		if exists(p) {
			t.Errorf("%s left behind", p)
		}
	}
	for _, e := range h.logs.FilterLoggerName("rust").All() {
		t.Logf("re-emitted: %s %q %v", e.Level, e.Message, e.ContextMap())
	}
	if h.logs.FilterLoggerName("rust").Len() == 0 {
		t.Error("no otelcol-rust log line was re-emitted under logger \"rust\"")
	}
	for _, e := range h.logs.FilterLoggerName("rust").All() {
		if _, ok := e.ContextMap()["stream"]; ok && strings.HasPrefix(e.Message, "{") {
			t.Errorf("JSON line came through as plain text: %s", e.Message)
		}
	}
}

func TestRealCollectorKilledIsRestarted(t *testing.T) {
	h := realHarness(t, rustConfig)
	s := h.start()
	first := s.Status().PID
	p, err := os.FindProcess(first)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, waitLong, "otelcol-rust restarted and ready", func() bool {
		st := s.Status()
		return st.Restarts == 1 && st.State == StateReady && st.PID != first
	})
	shutdown(t, s)
}

func TestRealCollectorConfigErrorFailsStart(t *testing.T) {
	h := realHarness(t, func(string) string { return "receivers: {otlp: {protocols: 7}}\nservice: {}\n" })
	err := h.new().Start(context.Background())
	if err == nil {
		t.Fatal("Start succeeded with a broken config")
	}
	if !strings.Contains(err.Error(), "exited with code 2") || !strings.Contains(err.Error(), "config error") {
		t.Fatalf("Start error %q; want exit code 2 and the child's config error line", err)
	}
	t.Logf("Start error: %v", err)
}
