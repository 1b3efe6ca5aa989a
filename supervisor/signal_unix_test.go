//go:build unix

package supervisor

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestIgnoresSIGTERMIsKilledAfterGrace(t *testing.T) {
	h := newHarness(t, "-ignore-term")
	h.cfg.ShutdownGrace = 500 * time.Millisecond
	s := h.start()
	pid := s.Status().PID
	begin := time.Now()
	shutdown(t, s)
	took := time.Since(begin)
	st := s.Status()
	if st.LastSignal != "SIGKILL" || st.LastExitCode != -1 {
		t.Fatalf("status %+v; want death by SIGKILL", st)
	}
	if took < h.cfg.ShutdownGrace {
		t.Fatalf("SIGKILL came after %s, before the %s grace", took, h.cfg.ShutdownGrace)
	}
	if processAlive(pid) {
		t.Fatalf("child %d alive", pid)
	}
	t.Logf("SIGTERM ignored; SIGKILLed after %s (grace %s)", took, h.cfg.ShutdownGrace)
}

func TestShutdownDeadlineKillsEarly(t *testing.T) {
	h := newHarness(t, "-ignore-term")
	h.cfg.ShutdownGrace = time.Hour
	s := h.start()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err := s.Shutdown(ctx)
	if err == nil || !strings.Contains(err.Error(), "deadline") {
		t.Fatalf("Shutdown = %v; want a deadline error", err)
	}
	if st := s.Status(); st.LastSignal != "SIGKILL" || st.State != StateStopped {
		t.Fatalf("status %+v", st)
	}
}
