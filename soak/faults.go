package soak

import (
	"context"
	"fmt"
	"syscall"
	"time"
)

// Fault kinds, the keys of Summary.FaultsInjected.
const (
	faultKill9     = "child_kill9"
	faultStop      = "child_sigstop"
	faultOutage    = "backend_outage"
	faultSlow      = "backend_slow"
	faultThrottle  = "backend_throttle"
	faultMemory    = "memory_limiter"
	faultKillOut   = "child_kill9_in_outage"
	faultCancel    = "client_cancel"
	faultDeadline  = "client_deadline"
	backendWindow  = 4 * time.Second // how long a backend fault lasts
	burstWindow    = 4 * time.Second // how long the memory burst lasts
	restartTimeout = 45 * time.Second
)

// schedule is the order faults are injected in, round after round.
var schedule = []string{faultKill9, faultOutage, faultStop, faultSlow, faultMemory, faultThrottle, faultKillOut}

// FaultEvent is one injected fault as the summary lists it.
type FaultEvent struct {
	Kind string  `json:"kind"`
	AtS  float64 `json:"at_s"` // seconds after the load started
	// TookMS: for child faults, from the signal to a new child pid; for the
	// others, how long the fault lasted.
	TookMS int64 `json:"took_ms"`
	// Refusals: for memory_limiter, the requests it refused during the burst.
	Refusals int64 `json:"refusals,omitempty"`
	// Duplicates: deliveries of an already delivered item from this fault's
	// start to the next one's (or the end of the load), to tell which fault
	// makes them.
	Duplicates int64  `json:"duplicates"`
	Note       string `json:"note,omitempty"`
	Error      string `json:"error,omitempty"`
}

// injector runs the fault schedule against one collector.
type injector struct {
	r     *run
	start time.Time
}

// loop injects one fault every `every` until ctx ends; a fault that is
// running when ctx ends finishes first (a backend is never left refusing).
func (in *injector) loop(ctx context.Context, every time.Duration) []FaultEvent {
	var events []FaultEvent
	var dupsAt int64
	closeLast := func() {
		if n := len(events); n > 0 {
			events[n-1].Duplicates = in.r.be.duplicates.Load() - dupsAt
		}
	}
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
		case <-time.After(every):
		}
		if ctx.Err() != nil {
			closeLast()
			return events
		}
		closeLast()
		dupsAt = in.r.be.duplicates.Load()
		kind := schedule[i%len(schedule)]
		ev := in.inject(kind)
		in.r.logf("fault %-21s at %5.1fs took %5dms %s%s", ev.Kind, ev.AtS, ev.TookMS, ev.Note, ev.Error)
		events = append(events, ev)
	}
}

func (in *injector) inject(kind string) FaultEvent {
	ev := FaultEvent{Kind: kind, AtS: time.Since(in.start).Seconds()}
	t0 := time.Now()
	var err error
	switch kind {
	case faultKill9:
		ev.Note, err = in.signalChild(syscall.SIGKILL)
	case faultStop:
		ev.Note, err = in.signalChild(syscall.SIGSTOP)
	case faultOutage:
		in.backendWindow(modeOutage)
	case faultSlow:
		in.backendWindow(modeSlow)
	case faultThrottle:
		in.backendWindow(modeThrottle)
	case faultKillOut:
		// The Go side's queues hold a backlog for the dead backend when the
		// child dies; the new child must get all of it.
		in.r.be.setMode(modeOutage)
		time.Sleep(backendWindow / 2)
		ev.Note, err = in.signalChild(syscall.SIGKILL)
		time.Sleep(time.Until(t0.Add(backendWindow)))
		in.r.be.setMode(modeAccept)
	case faultMemory:
		before := in.r.ledger.memRefuse.Load()
		in.r.burst(burstWindow)
		ev.Refusals = in.r.ledger.memRefuse.Load() - before
		ev.Note = fmt.Sprintf("%d requests refused by memory_limiter", ev.Refusals)
	}
	ev.TookMS = time.Since(t0).Milliseconds()
	if err != nil {
		ev.Error = err.Error()
	}
	return ev
}

func (in *injector) backendWindow(m backendMode) {
	in.r.be.setMode(m)
	time.Sleep(backendWindow) // the fault is a window of time: nothing to await
	in.r.be.setMode(modeAccept)
}

// signalChild sends sig to the Rust child and waits until the supervisor has
// replaced it: for SIGKILL the exit is seen at once, for SIGSTOP only the
// health check can notice.
func (in *injector) signalChild(sig syscall.Signal) (string, error) {
	pid, err := in.r.awaitChild(restartTimeout, 0)
	if err != nil {
		return "", err
	}
	if err := syscall.Kill(pid, sig); err != nil {
		return "", fmt.Errorf("kill %d: %w", pid, err)
	}
	next, err := in.r.awaitChild(restartTimeout, pid)
	if err != nil {
		return "", fmt.Errorf("after %s of pid %d: %w", sig, pid, err)
	}
	return fmt.Sprintf("pid %d -> %d", pid, next), nil
}
