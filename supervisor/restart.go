package supervisor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// restartTracker decides how long to wait before the next restart and when
// the child is crash-looping.
type restartTracker struct {
	p       RestartPolicy
	attempt int         // consecutive failures since the last reset
	history []time.Time // restarts inside the current window
	rand    func() float64
}

func newRestartTracker(p RestartPolicy) *restartTracker {
	return &restartTracker{p: p, rand: rand.Float64}
}

// next is called after a failure. readyFor is how long the failed child had
// been ready (0 if it never was). It returns the backoff before the next
// restart, or an error when the policy forbids another restart.
func (t *restartTracker) next(now time.Time, readyFor time.Duration) (time.Duration, error) {
	if readyFor >= t.p.ResetAfter {
		t.attempt = 0
	}
	if t.p.MaxRestarts < 0 {
		return 0, fmt.Errorf("supervisor: child failed and restarts are disabled")
	}
	cutoff := now.Add(-t.p.Window)
	kept := t.history[:0]
	for _, at := range t.history {
		if at.After(cutoff) {
			kept = append(kept, at)
		}
	}
	t.history = kept
	if len(t.history) >= t.p.MaxRestarts {
		return 0, fmt.Errorf("supervisor: crash loop: child failed again after %d restarts within %s; giving up", len(t.history), t.p.Window)
	}
	t.history = append(t.history, now)
	d := t.backoff(t.attempt)
	t.attempt++
	return d, nil
}

// backoff is InitialBackoff·Multiplier^attempt, capped, then spread by
// ±Jitter so a fleet of parents does not restart children in lockstep.
func (t *restartTracker) backoff(attempt int) time.Duration {
	base := float64(t.p.InitialBackoff) * math.Pow(t.p.Multiplier, float64(attempt))
	base = math.Min(base, float64(t.p.MaxBackoff))
	d := base * (1 + t.p.Jitter*(2*t.rand()-1))
	return time.Duration(math.Min(d, float64(t.p.MaxBackoff)))
}
