package supervisor

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap"
)

// Timing targets live here, not in tests:
//   go test -run '^$' -bench . ./supervisor/
// StartToReady: spawn → SERVING; Shutdown: SIGTERM → reaped → files gone;
// RestartAfterKill: SIGKILL → ready again (backoff 1ms).

func benchConfig(b *testing.B) Config {
	b.Helper()
	dir, err := os.MkdirTemp("", "svb")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = os.RemoveAll(dir) })
	sock := filepath.Join(dir, "h.sock")
	cfg := Config{
		Args:           []string{"-health", "unix://" + sock},
		Env:            []string{helperEnv + "=child"},
		Dir:            dir,
		HealthEndpoint: "unix://" + sock,
		Logger:         zap.NewNop(),
		Restart:        RestartPolicy{InitialBackoff: time.Millisecond, MaxBackoff: time.Millisecond, MaxRestarts: 1 << 30},
	}
	if bin := os.Getenv("OTELCOL_RUST_BIN"); bin != "" {
		cfgFile := filepath.Join(dir, "rust.yaml")
		if err := os.WriteFile(cfgFile, []byte(rustConfig(dir)), 0o600); err != nil {
			b.Fatal(err)
		}
		cfg.Path, _ = filepath.Abs(bin)
		cfg.Args = []string{"--config", cfgFile, "--exit-on-stdin-eof"}
		cfg.Env = nil
		b.Logf("benchmarking the real otelcol-rust %s", cfg.Path)
	} else {
		cfg.Path, _ = os.Executable()
	}
	return cfg
}

func BenchmarkStartToReady(b *testing.B) {
	cfg := benchConfig(b)
	for b.Loop() {
		s, err := New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Start(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		_ = s.Shutdown(context.Background())
		b.StartTimer()
	}
}

func BenchmarkShutdown(b *testing.B) {
	cfg := benchConfig(b)
	for b.Loop() {
		b.StopTimer()
		s, err := New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Start(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := s.Shutdown(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRestartAfterKill(b *testing.B) {
	cfg := benchConfig(b)
	s, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = s.Shutdown(context.Background()) }()
	for b.Loop() {
		st := s.Status()
		p, _ := os.FindProcess(st.PID)
		_ = p.Kill()
		for {
			now := s.Status()
			if now.State == StateReady && now.Restarts > st.Restarts {
				break
			}
			time.Sleep(100 * time.Microsecond)
		}
	}
}
