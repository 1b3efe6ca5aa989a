package supervisor

import (
	"strings"
	"testing"
	"time"
)

func TestBackoffGrowsCapsAndResets(t *testing.T) {
	p := RestartPolicy{InitialBackoff: 100 * time.Millisecond, MaxBackoff: time.Second, Multiplier: 2,
		Jitter: 0.2, ResetAfter: time.Minute, MaxRestarts: 100, Window: time.Hour}
	tr := newRestartTracker(p)
	tr.rand = func() float64 { return 0.5 } // no jitter
	now := time.Now()
	var got []time.Duration
	for range 6 {
		d, err := tr.next(now, 0)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, d)
	}
	want := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i := range want {
		if got[i] != want[i]*time.Millisecond {
			t.Fatalf("backoffs %v; want %v ms", got, want)
		}
	}
	// A child that stayed ready for ResetAfter starts over.
	if d, _ := tr.next(now, time.Minute); d != 100*time.Millisecond {
		t.Fatalf("after a healthy minute: %s", d)
	}
}

func TestBackoffJitterStaysInBounds(t *testing.T) {
	tr := newRestartTracker(RestartPolicy{InitialBackoff: time.Second, MaxBackoff: 10 * time.Second,
		Multiplier: 2, Jitter: 0.5, ResetAfter: time.Hour, MaxRestarts: 1000, Window: time.Hour})
	seen := map[time.Duration]bool{}
	for range 200 {
		tr.attempt = 0
		d, _ := tr.next(time.Now(), 0)
		if d < 500*time.Millisecond || d > 1500*time.Millisecond {
			t.Fatalf("jittered backoff %s outside ±50%% of 1s", d)
		}
		seen[d] = true
	}
	if len(seen) < 10 {
		t.Fatalf("jitter produced only %d distinct delays", len(seen))
	}
}

func TestCrashLoopWindow(t *testing.T) {
	tr := newRestartTracker(RestartPolicy{InitialBackoff: time.Millisecond, MaxBackoff: time.Millisecond,
		Multiplier: 2, Jitter: 0.1, ResetAfter: time.Hour, MaxRestarts: 3, Window: time.Minute})
	t0 := time.Now()
	for i := range 3 {
		if _, err := tr.next(t0.Add(time.Duration(i)*time.Second), 0); err != nil {
			t.Fatalf("restart %d refused: %v", i+1, err)
		}
	}
	if _, err := tr.next(t0.Add(3*time.Second), 0); err == nil || !strings.Contains(err.Error(), "crash loop") {
		t.Fatalf("4th failure within the window: err = %v", err)
	}
	// Outside the window the old restarts no longer count.
	if _, err := tr.next(t0.Add(2*time.Minute), 0); err != nil {
		t.Fatalf("after the window: %v", err)
	}
	if _, err := newRestartTracker(RestartPolicy{MaxRestarts: -1}).next(t0, 0); err == nil {
		t.Fatal("MaxRestarts<0 allowed a restart")
	}
}
