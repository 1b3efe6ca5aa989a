package supervisor

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// Generous bounds: these tests run real processes on a loaded 2-core CI box.
const (
	waitLong = 30 * time.Second
	poll     = 10 * time.Millisecond
)

type harness struct {
	t      *testing.T
	dir    string
	sock   string
	cfg    Config
	logs   *observer.ObservedLogs
	mu     sync.Mutex
	states []State
}

// newHarness returns a config running the test binary as a helper child
// with args, fast probes and fast restarts.
func newHarness(t *testing.T, args ...string) *harness {
	t.Helper()
	// Short path: unix socket paths are limited to ~104 bytes.
	dir, err := os.MkdirTemp("", "sv")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zapcore.DebugLevel)
	h := &harness{t: t, dir: dir, sock: filepath.Join(dir, "h.sock"), logs: logs}
	h.cfg = Config{
		Path:           exe,
		Args:           append([]string{"-health", "unix://" + h.sock}, args...),
		Env:            []string{helperEnv + "=child"},
		Dir:            dir,
		HealthEndpoint: "unix://" + h.sock,
		StartTimeout:   waitLong,
		Probe:          ProbeConfig{Period: 100 * time.Millisecond, Timeout: 5 * time.Second, FailureThreshold: 2},
		Restart: RestartPolicy{InitialBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
			ResetAfter: time.Hour, MaxRestarts: 10, Window: time.Hour},
		ShutdownGrace: 20 * time.Second,
		Logger:        zap.New(core),
		OnStatus: func(st Status) {
			h.mu.Lock()
			h.states = append(h.states, st.State)
			h.mu.Unlock()
		},
	}
	t.Cleanup(func() {
		if t.Failed() {
			all := logs.All()
			for _, e := range all[max(0, len(all)-60):] {
				msg := e.Message
				if len(msg) > 200 {
					msg = msg[:200] + "…"
				}
				t.Logf("log %s %s: %q %v", e.LoggerName, e.Level, msg, e.ContextMap())
			}
		}
	})
	return h
}

// start builds and starts the supervisor and registers its shutdown.
func (h *harness) start() *Supervisor {
	h.t.Helper()
	s := h.new()
	if err := s.Start(context.Background()); err != nil {
		h.t.Fatalf("Start: %v", err)
	}
	return s
}

func (h *harness) new() *Supervisor {
	h.t.Helper()
	s, err := New(h.cfg)
	if err != nil {
		h.t.Fatalf("New: %v", err)
	}
	h.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitLong)
		defer cancel()
		_ = s.Shutdown(ctx)
	})
	return s
}

func (h *harness) sawState(want State) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range h.states {
		if s == want {
			return true
		}
	}
	return false
}

func shutdown(t *testing.T, s *Supervisor) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
