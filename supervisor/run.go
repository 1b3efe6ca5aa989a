package supervisor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"go.uber.org/zap"
)

// run owns every child for the supervisor's life: the first start (reported
// on result), then supervision and one relaunch step per failure until
// Shutdown or a crash loop.
func (s *Supervisor) run(startCtx context.Context, result chan<- error) {
	defer s.teardown()

	c, hc, err := s.launchUnlessStopped(startCtx)
	if err != nil {
		if errors.Is(err, context.Canceled) && s.stopping() {
			err = errors.New("supervisor: Shutdown called during Start")
		}
		s.setState(StateFailed, err)
		result <- err
		return
	}
	result <- nil

	tracker := newRestartTracker(s.cfg.Restart)
	readyFor, failure := s.superviseChild(c, hc)
	for failure != nil {
		readyFor, failure = s.relaunch(tracker, failure, readyFor)
	}
}

// launchUnlessStopped launches a child; Shutdown abandons the launch.
func (s *Supervisor) launchUnlessStopped(parent context.Context) (*child, *healthClient, error) {
	ctx, cancel := s.stopContext(parent)
	defer cancel()
	return s.launch(ctx)
}

// superviseChild watches a ready child until it exits, turns unhealthy or
// Shutdown begins. It returns how long the child was ready and why it failed,
// or a nil failure when Shutdown stopped it.
func (s *Supervisor) superviseChild(c *child, hc *healthClient) (time.Duration, error) {
	readyAt := time.Now()
	unhealthy := s.supervise(c, hc)
	if s.stopping() {
		s.stopChild(c)
		return 0, nil
	}
	if unhealthy != nil { // the child is alive but useless
		s.log.Warn("restarting unhealthy rust child", zap.Int("pid", c.pid), zap.Error(unhealthy))
		c.stop(s.cfg.ShutdownGrace, s.killNow)
		if s.stopping() { // Shutdown came while it was stopping
			s.recordExit(c)
			return 0, nil
		}
	}
	<-c.done
	failure := s.reportExit(c, unhealthy)
	return time.Since(readyAt), failure
}

// relaunch is one restart after failure: the backoff the policy gives, then
// a new child, supervised until it fails in turn. It returns what
// superviseChild does for the new child, the launch error when it did not
// start (it was never ready), or a nil failure when there is nothing more to
// do: Shutdown began, or the policy gave up (reported on Fatal).
func (s *Supervisor) relaunch(tracker *restartTracker, failure error, readyFor time.Duration) (time.Duration, error) {
	delay, err := tracker.next(time.Now(), readyFor)
	if err != nil {
		err = fmt.Errorf("%w (last failure: %w)", err, failure)
		s.log.Error("rust child crash loop; not restarting", zap.Error(err))
		s.setState(StateFailed, err)
		s.fatal <- err
		return 0, nil
	}
	s.setState(StateRestarting, failure)
	s.log.Info("restarting rust child", zap.Duration("backoff", delay),
		zap.Int("restart", s.Status().Restarts+1), zap.NamedError("after", failure))
	select {
	case <-s.stopCh:
		return 0, nil
	case <-time.After(delay):
	}
	s.update(func(st *Status) { st.Restarts++ })
	c, hc, err := s.launchUnlessStopped(context.Background())
	switch {
	case err == nil:
		return s.superviseChild(c, hc)
	case s.stopping():
		return 0, nil
	default:
		s.log.Error("rust child restart failed", zap.Error(err))
		return 0, err
	}
}

// stopContext is parent, also canceled when Shutdown begins.
func (s *Supervisor) stopContext(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	go func() {
		select {
		case <-s.stopCh:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// launch spawns a child and waits until it is SERVING. On failure the child
// is gone when it returns.
func (s *Supervisor) launch(ctx context.Context) (*child, *healthClient, error) {
	s.setState(StateStarting, nil)
	if s.ep.network == "unix" {
		removeStaleSocket(s.ep.address)
	}
	logs := &childLog{log: s.rustLog, tail: newRingBuffer(crashTailBytes), route: s.cfg.LogRoute}
	c, err := spawnChild(&s.cfg, logs)
	if err != nil {
		return nil, nil, err
	}
	s.update(func(st *Status) { st.PID = c.pid })
	s.log.Info("rust child started", zap.Int("pid", c.pid), zap.String("path", s.cfg.Path))

	hc, err := newHealthClient(s.ep, c.pid)
	if err == nil {
		err = s.waitReady(ctx, c, hc)
		if err != nil {
			hc.close()
		}
	}
	if err != nil {
		if s.stopping() {
			c.stop(s.cfg.ShutdownGrace, s.killNow)
		} else {
			c.kill() // it failed to start; no grace owed
			<-c.done
		}
		s.recordExit(c)
		return nil, nil, err
	}
	s.setState(StateReady, nil)
	s.log.Info("rust child ready", zap.Int("pid", c.pid), zap.Duration("startup", time.Since(c.started)))
	return c, hc, nil
}

// waitReady polls Check until SERVING, the child exits, the start timeout
// passes, a peer-credential check fails, or ctx ends.
func (s *Supervisor) waitReady(ctx context.Context, c *child, hc *healthClient) error {
	deadlineAt := time.Now().Add(s.cfg.StartTimeout)
	deadline := time.NewTimer(s.cfg.StartTimeout)
	defer deadline.Stop()
	interval := 1 * time.Millisecond
	for {
		var err error
		if s.ep.network == "unix" && !socketExists(s.ep.address) {
			// Dialing a socket that does not exist yet only makes gRPC log
			// connection warnings into the operator's log; a stat is free.
			err = fmt.Errorf("socket %s not created yet", s.ep.address)
		} else {
			timeout := max(min(s.cfg.Probe.Timeout, time.Until(deadlineAt)), time.Millisecond)
			if err = hc.check(ctx, timeout); err == nil {
				return nil
			}
		}
		if rej := hc.peerRejected(); rej != nil {
			return rej
		}
		select {
		case <-c.done:
			_ = c.waitOutput(time.Second)
			return fmt.Errorf("supervisor: child pid %d %s before it was ready%s", c.pid, c.exit, stderrSuffix(c))
		case <-deadline.C:
			return fmt.Errorf("supervisor: child pid %d not SERVING after %s (%w)%s", c.pid, s.cfg.StartTimeout, err, stderrSuffix(c))
		case <-ctx.Done():
			return fmt.Errorf("supervisor: start of child pid %d abandoned: %w", c.pid, ctx.Err())
		case <-time.After(interval):
		}
		// Startup time is user-visible: poll every millisecond while a
		// healthy child would be coming up (a few ms after exec; until its
		// socket exists a poll is one stat), back off only for a slow one.
		// At 5 ms the ready child waited 3–6 ms on average to be noticed.
		if time.Until(deadlineAt) < s.cfg.StartTimeout-500*time.Millisecond {
			interval = min(interval*2, 50*time.Millisecond)
		}
	}
}

func socketExists(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode()&os.ModeSocket != 0
}

// supervise probes a ready child until it exits (nil), Shutdown begins
// (nil), or FailureThreshold probes in a row fail (the last probe error).
func (s *Supervisor) supervise(c *child, hc *healthClient) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	defer hc.close()
	s.current.Store(hc)
	defer s.current.CompareAndSwap(hc, nil)

	// Watch hears NOT_SERVING as soon as the child says it; keep only the
	// latest word so a chatty stream never blocks.
	heard := make(chan bool, 1)
	go hc.watch(ctx, s.cfg.Probe.Period, func(serving bool) {
		select {
		case <-heard:
		default:
		}
		heard <- serving
	})

	p := s.cfg.Probe
	ticker := time.NewTicker(p.Period)
	defer ticker.Stop()
	failures := 0
	probe := func() error {
		err := hc.check(ctx, p.Timeout)
		if s.stopping() {
			return nil
		}
		if err == nil {
			failures = 0
			s.setStateIf(StateUnhealthy, StateReady)
			return nil
		}
		failures++
		s.log.Warn("rust child health probe failed", zap.Int("pid", c.pid),
			zap.Int("failures", failures), zap.Int("threshold", p.FailureThreshold), zap.Error(err))
		s.setState(StateUnhealthy, err)
		if failures >= p.FailureThreshold {
			return err
		}
		return nil
	}
	for {
		select {
		case <-s.stopCh:
			return nil
		case <-c.done:
			return nil
		case serving := <-heard:
			if serving || s.stopping() {
				continue
			}
			s.setState(StateUnhealthy, errors.New("health watch: NOT_SERVING"))
			if err := probe(); err != nil {
				return err
			}
			ticker.Reset(p.Period)
		case <-ticker.C:
			if err := probe(); err != nil {
				return err
			}
		}
	}
}

func (s *Supervisor) setStateIf(from, to State) {
	s.mu.Lock()
	is := s.st.State == from
	s.mu.Unlock()
	if is {
		s.setState(to, nil)
	}
}

// stopChild is the Shutdown path for the current child.
func (s *Supervisor) stopChild(c *child) {
	s.log.Info("stopping rust child", zap.Int("pid", c.pid), zap.Duration("grace", s.cfg.ShutdownGrace))
	c.stop(s.cfg.ShutdownGrace, s.killNow)
	// The parent may exit right after this: log what the child drained,
	// dropped or failed to stop first.
	s.drainOutput(c)
	s.recordExit(c)
	s.log.Info("rust child stopped", zap.Int("pid", c.pid), zap.Stringer("exit", c.exit))
}

// drainOutput waits (up to a second) until a reaped child's last lines are
// read from its stdout and stderr and logged.
func (s *Supervisor) drainOutput(c *child) {
	if !c.waitOutput(time.Second) {
		s.log.Debug("rust child output still open after its exit", zap.Int("pid", c.pid))
	}
}

// reportExit records an unexpected exit and writes the crash report.
func (s *Supervisor) reportExit(c *child, unhealthy error) error {
	s.drainOutput(c) // the crash report quotes the child's last lines
	s.recordExit(c)
	failure := fmt.Errorf("child pid %d %s", c.pid, c.exit)
	if unhealthy != nil {
		failure = fmt.Errorf("child pid %d unhealthy (%w), then %s", c.pid, unhealthy, c.exit)
	}
	s.log.Error("rust child exited unexpectedly",
		zap.Int("pid", c.pid),
		zap.Int("exit_code", c.exit.code),
		zap.String("signal", c.exit.signal),
		zap.Duration("uptime", time.Since(c.started)),
		zap.NamedError("cause", unhealthy),
		zap.String("output_tail", c.log.tail.String()))
	return failure
}

func (s *Supervisor) recordExit(c *child) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.LastExitCode = c.exit.code
	s.st.LastSignal = c.exit.signal
	s.st.PID = 0
}

// stderrSuffix renders the child's last output lines for a one-line error.
func stderrSuffix(c *child) string {
	lines := c.log.tail.LastLines(10)
	if len(lines) == 0 {
		return "; no output"
	}
	for i, l := range lines {
		if len(l) > 300 {
			lines[i] = l[:300] + "…"
		}
	}
	return "; last output: " + strings.Join(lines, " | ")
}
