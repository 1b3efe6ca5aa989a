package supervisor

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otelcol-hybrid/otelcol-hybrid/internal/testkit"
)

func TestStartReadyShutdownRemovesFiles(t *testing.T) {
	h := newHarness(t, "-stdin-eof-exit", "7")
	h.cfg.ConfigFile = filepath.Join(h.dir, "rust.yaml")
	if err := os.WriteFile(h.cfg.ConfigFile, []byte("x: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	extra := filepath.Join(h.dir, "extra.txt")
	if err := os.WriteFile(extra, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	h.cfg.CleanupPaths = []string{extra}
	bridge := filepath.Join(h.dir, "b0.sock")
	ln, err := net.Listen("unix", bridge)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()

	s := h.start()
	st := s.Status()
	if st.State != StateReady || st.PID <= 0 || !processAlive(st.PID) {
		t.Fatalf("after Start: %+v, alive=%v", st, processAlive(st.PID))
	}
	// The stdin pipe stays open while supervised: the child would exit 7
	// at EOF (otelcol-rust --exit-on-stdin-eof).
	testkit.Consistently(t, 300*time.Millisecond, "the child staying up (no stdin EOF)", func() bool {
		st := s.Status()
		return st.State == StateReady && st.Restarts == 0
	})
	shutdown(t, s)

	st = s.Status()
	if st.State != StateStopped || st.LastExitCode != 0 || st.PID != 0 {
		t.Fatalf("after Shutdown: %+v", st)
	}
	for _, p := range []string{h.cfg.ConfigFile, extra, bridge, h.sock} {
		if exists(p) {
			t.Errorf("%s still exists after Shutdown", p)
		}
	}
	select {
	case <-s.Wait():
	default:
		t.Fatal("Wait() not closed after Shutdown")
	}
	testkit.Eventually(t, waitLong, "OnStatus to report stopped", func() bool { return h.sawState(StateStopped) })
	if !h.sawState(StateStarting) || !h.sawState(StateReady) {
		t.Fatalf("OnStatus saw %v", h.states)
	}
}

func TestMinimalEnvironment(t *testing.T) {
	t.Setenv("SUPERVISOR_SECRET_FROM_PARENT", "leak")
	h := newHarness(t)
	envFile := filepath.Join(h.dir, "env.txt")
	h.cfg.Args = append(h.cfg.Args, "-dump-env", envFile)
	h.cfg.Env = append(h.cfg.Env, "ONLY_THIS=1")
	s := h.start()
	shutdown(t, s)
	b, err := os.ReadFile(envFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range strings.Split(string(b), "\n") {
		if kv != helperEnv+"=child" && kv != "ONLY_THIS=1" && (runtime.GOOS != "windows" || !strings.HasPrefix(strings.ToUpper(kv), "SYSTEMROOT=")) {
			t.Errorf("child saw unexpected env %q", kv)
		}
	}
}

func TestCrashAtStartFailsWithStderr(t *testing.T) {
	h := newHarness(t, "-crash-at-start")
	s := h.new()
	err := s.Start(context.Background())
	if err == nil {
		t.Fatal("Start succeeded for a child that exits at once")
	}
	for _, want := range []string{"exited with code 2 before it was ready", "boom: config invalid at receivers.otlp"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Start error %q lacks %q", err, want)
		}
	}
	if st := s.Status(); st.State != StateFailed || st.LastExitCode != 2 {
		t.Fatalf("status %+v", st)
	}
	select {
	case <-s.Wait():
	case <-time.After(waitLong):
		t.Fatal("Wait() not closed after failed Start")
	}
}

func TestNeverReadyHitsStartTimeout(t *testing.T) {
	h := newHarness(t, "-initial-status", "NOT_SERVING")
	h.cfg.StartTimeout = time.Second
	s := h.new()
	pid := make(chan int, 1)
	go func() { pid <- pollPID(s) }()
	err := s.Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), "not SERVING after 1s") || !strings.Contains(err.Error(), "NOT_SERVING") {
		t.Fatalf("Start error = %v; want a start timeout naming NOT_SERVING", err)
	}
	p := <-pid
	if processAlive(p) {
		t.Fatalf("child %d still alive after failed Start", p)
	}
}

func TestCrashLaterRestarts(t *testing.T) {
	h := newHarness(t, "-exit-after", "200ms", "-exit-code", "3")
	h.cfg.Args = append(h.cfg.Args, "-once", filepath.Join(h.dir, "crashed"))
	s := h.start()
	first := s.Status().PID
	testkit.Eventually(t, waitLong, "a restart to a ready child", func() bool {
		st := s.Status()
		return st.Restarts == 1 && st.State == StateReady && st.PID != first
	})
	st := s.Status()
	if st.LastExitCode != 3 || st.LastSignal != "" {
		t.Fatalf("status %+v; want last exit code 3", st)
	}
	if processAlive(first) {
		t.Fatalf("first child %d still alive", first)
	}
	if !h.sawState(StateRestarting) {
		t.Fatalf("OnStatus never saw restarting: %v", h.states)
	}
	if h.logs.FilterMessage("rust child exited unexpectedly").Len() != 1 {
		t.Fatal("no crash report logged")
	}
	crash := h.logs.FilterMessage("rust child exited unexpectedly").All()[0].ContextMap()
	if !strings.Contains(crash["output_tail"].(string), "crashing with code 3") {
		t.Fatalf("crash report tail lacks the child's last words: %v", crash)
	}
	shutdown(t, s)
}

func TestExitZeroUnexpectedlyRestarts(t *testing.T) {
	h := newHarness(t, "-exit-after", "200ms", "-exit-code", "0")
	h.cfg.Args = append(h.cfg.Args, "-once", filepath.Join(h.dir, "exited"))
	s := h.start()
	testkit.Eventually(t, waitLong, "a restart after exit 0", func() bool {
		st := s.Status()
		return st.Restarts == 1 && st.State == StateReady
	})
	if st := s.Status(); st.LastExitCode != 0 {
		t.Fatalf("status %+v", st)
	}
	shutdown(t, s)
}

func TestNotServingMidRunRestarts(t *testing.T) {
	h := newHarness(t, "-not-serving-after", "200ms")
	h.cfg.Args = append(h.cfg.Args, "-once", filepath.Join(h.dir, "flipped"))
	s := h.start()
	first := s.Status().PID
	testkit.Eventually(t, waitLong, "restart of the NOT_SERVING child", func() bool {
		st := s.Status()
		return st.Restarts == 1 && st.State == StateReady && st.PID != first
	})
	if !h.sawState(StateUnhealthy) {
		t.Fatalf("OnStatus never saw unhealthy: %v", h.states)
	}
	if processAlive(first) {
		t.Fatalf("unhealthy child %d still alive", first)
	}
	// It was asked to stop, and it did so gracefully.
	if st := s.Status(); st.LastExitCode != 0 {
		t.Fatalf("status %+v; want the unhealthy child to exit 0 on SIGTERM", st)
	}
	shutdown(t, s)
}

func TestCrashLoopIsFatal(t *testing.T) {
	h := newHarness(t, "-exit-after", "50ms", "-exit-code", "4")
	h.cfg.Restart.MaxRestarts = 2
	s := h.start()
	select {
	case err := <-s.Fatal():
		if !strings.Contains(err.Error(), "crash loop") || !strings.Contains(err.Error(), "exited with code 4") {
			t.Fatalf("fatal error %q", err)
		}
	case <-time.After(waitLong):
		t.Fatalf("no fatal error; status %+v", s.Status())
	}
	<-s.Wait()
	st := s.Status()
	if st.State != StateFailed || st.Restarts != 2 || st.Err == nil || st.PID != 0 {
		t.Fatalf("status %+v", st)
	}
	if exists(h.sock) {
		t.Fatal("health socket left behind after crash loop")
	}
	shutdown(t, s)
	if st := s.Status(); st.State != StateStopped {
		t.Fatalf("after Shutdown: %+v", st)
	}
}

// The child's final lines (what it drained or dropped at shutdown) are in
// the log when Shutdown returns: the parent may exit right after it.
func TestShutdownLogsTheChildsLastLines(t *testing.T) {
	h := newHarness(t, "-last-words", "20000")
	s := h.start()
	shutdown(t, s)
	if n := h.logs.FilterMessage("last words").Len(); n != 1 {
		t.Fatalf("the child's last line was logged %d times by the time Shutdown returned, want 1", n)
	}
}

func TestShutdownIdempotentAndConcurrent(t *testing.T) {
	h := newHarness(t)
	s := h.start()
	pid := s.Status().PID
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.Shutdown(context.Background())
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
	}
	if processAlive(pid) {
		t.Fatalf("child %d alive after Shutdown", pid)
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatalf("second Shutdown: %v", err)
	}
	if err := s.Start(context.Background()); err == nil {
		t.Fatal("Start after Shutdown succeeded")
	}
}

func TestShutdownBeforeStart(t *testing.T) {
	h := newHarness(t)
	s := h.new()
	shutdown(t, s)
	if err := s.Start(context.Background()); err == nil || !strings.Contains(err.Error(), "after Shutdown") {
		t.Fatalf("Start after Shutdown: %v", err)
	}
}

func TestStartTwiceFails(t *testing.T) {
	s := newHarness(t).start()
	if err := s.Start(context.Background()); err == nil {
		t.Fatal("second Start succeeded")
	}
}

func TestStartCanceledKillsChild(t *testing.T) {
	h := newHarness(t, "-initial-status", "NOT_SERVING")
	s := h.new()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		pollPID(s)
		cancel()
	}()
	err := s.Start(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Start = %v; want context.Canceled", err)
	}
	if st := s.Status(); st.State != StateFailed || st.PID != 0 {
		t.Fatalf("status %+v", st)
	}
}

func TestTCPLoopbackEndpoint(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	h := newHarness(t)
	h.cfg.HealthEndpoint = addr
	h.cfg.Args = []string{"-health", addr}
	s := h.start()
	if s.Status().State != StateReady {
		t.Fatalf("status %+v", s.Status())
	}
	shutdown(t, s)
}

// TestExtraFilesReachEveryChild: a listening socket in Config.ExtraFiles is
// fd 3 of the first child and of the one started after it crashed; the
// health probes reach both through it, and its port is never free.
func TestExtraFilesReachEveryChild(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no ExtraFiles on Windows")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	_ = ln.Close()
	t.Cleanup(func() { _ = f.Close() })
	addr := ln.Addr().String()
	h := newHarness(t)
	h.cfg.HealthEndpoint = addr
	h.cfg.ExtraFiles = []*os.File{f}
	h.cfg.Args = []string{"-health", "fd://3", "-exit-after", "200ms", "-once", filepath.Join(h.dir, "crashed")}
	s := h.start()
	first := s.Status().PID
	held := func() {
		t.Helper()
		if l, err := net.Listen("tcp", addr); err == nil {
			_ = l.Close()
			t.Fatalf("%s could be bound by another socket", addr)
		}
	}
	held()
	testkit.Eventually(t, waitLong, "a restart to a ready child", func() bool {
		st := s.Status()
		if st.State != StateReady {
			held() // the child is dead or starting: the port is still ours
		}
		return st.Restarts == 1 && st.State == StateReady && st.PID != first
	})
	shutdown(t, s)
	held()
}

func TestConfigValidation(t *testing.T) {
	exe, _ := os.Executable()
	for name, cfg := range map[string]Config{
		"no path":       {HealthEndpoint: "127.0.0.1:1"},
		"relative path": {Path: "bin/x", HealthEndpoint: "127.0.0.1:1"},
		"no endpoint":   {Path: exe},
		"remote tcp":    {Path: exe, HealthEndpoint: "10.0.0.1:4317"},
		"relative unix": {Path: exe, HealthEndpoint: "unix://h.sock"},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: New accepted %+v", name, cfg)
		}
	}
}

func TestConfigFileMustBePrivate(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes do not apply on Windows")
	}
	h := newHarness(t)
	h.cfg.ConfigFile = filepath.Join(h.dir, "rust.yaml")
	if err := os.WriteFile(h.cfg.ConfigFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err := h.new().Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), "want 0600") {
		t.Fatalf("Start = %v; want a mode complaint", err)
	}
}

// pollPID waits (in any goroutine) for the first child PID.
func pollPID(s *Supervisor) int {
	deadline := time.Now().Add(waitLong)
	for time.Now().Before(deadline) {
		if pid := s.Status().PID; pid != 0 {
			return pid
		}
		time.Sleep(poll)
	}
	return 0
}
