// Package supervisor runs one helper executable as a child process and owns
// its whole life: spawn, readiness over grpc.health.v1, log re-emission,
// health probing, restarts with backoff, crash-loop detection and shutdown.
// It knows nothing about what the child does.
package supervisor

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// Supervisor supervises one child; create it with New.
type Supervisor struct {
	cfg     Config
	ep      endpoint
	log     *zap.Logger
	rustLog *zap.Logger
	notify  *notifier

	mu      sync.Mutex
	st      Status
	started bool // Start ran, or Shutdown came first and owns teardown

	stopCh   chan struct{} // closed when Shutdown begins
	killNow  chan struct{} // closed when Shutdown's deadline passes
	killOnce sync.Once
	done     chan struct{} // closed when no child is left and files are gone
	fatal    chan error

	cleanupErr     error // written before done is closed
	finalOnce      sync.Once
	unregisterMets func()

	current atomic.Pointer[healthClient] // the ready child's, for Call
}

// New checks cfg and prepares a Supervisor; nothing is spawned yet.
func New(cfg Config) (*Supervisor, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	ep, _ := parseEndpoint(cfg.HealthEndpoint)
	if cfg.Secret != "" {
		ep.secret = secretCreds{cfg.SecretHeader: cfg.Secret}
	}
	s := &Supervisor{
		cfg:     cfg,
		ep:      ep,
		log:     cfg.Logger,
		rustLog: cfg.Logger.Named("rust"),
		notify:  newNotifier(cfg.OnStatus),
		st:      Status{State: StateStopped, LastExitCode: -1},
		stopCh:  make(chan struct{}),
		killNow: make(chan struct{}),
		done:    make(chan struct{}),
		fatal:   make(chan error, 1),
	}
	unreg, err := registerMetrics(cfg.MeterProvider, s.Status)
	if err != nil {
		return nil, fmt.Errorf("supervisor: metrics: %w", err)
	}
	s.unregisterMets = unreg
	return s, nil
}

// Start spawns the child and returns once it answers SERVING, or with the
// reason it did not (including its last stderr lines). After a failed Start
// the child is gone and its files are removed; call Shutdown anyway.
func (s *Supervisor) Start(ctx context.Context) error {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		select {
		case <-s.stopCh:
			return errors.New("supervisor: Start after Shutdown")
		default:
			return errors.New("supervisor: Start called twice")
		}
	}
	s.started = true
	s.mu.Unlock()

	if err := checkConfigFile(s.cfg.ConfigFile); err != nil {
		s.setState(StateFailed, err)
		s.teardown()
		return err
	}
	result := make(chan error, 1)
	go s.run(ctx, result)
	return <-result
}

// Status returns a snapshot.
func (s *Supervisor) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st
}

// Wait is closed once the supervisor has stopped for good: after Shutdown,
// a failed Start, or a crash loop.
func (s *Supervisor) Wait() <-chan struct{} { return s.done }

// Fatal delivers the crash-loop error, once, when the supervisor gives up.
func (s *Supervisor) Fatal() <-chan error { return s.fatal }

// Shutdown stops the child (SIGTERM to its group, ShutdownGrace, SIGKILL),
// removes sockets and config files and returns. When ctx ends first the
// child is killed at once. Idempotent and safe to call concurrently.
func (s *Supervisor) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	select {
	case <-s.stopCh:
	default:
		close(s.stopCh)
	}
	neverStarted := !s.started
	s.started = true // a later Start must fail
	s.mu.Unlock()
	if neverStarted {
		s.teardown()
	}

	var err error
	select {
	case <-s.done:
	case <-ctx.Done():
		s.killOnce.Do(func() { close(s.killNow) })
		select {
		case <-s.done:
			err = fmt.Errorf("supervisor: shutdown deadline passed; child was killed: %w", ctx.Err())
		case <-time.After(5 * time.Second):
			return fmt.Errorf("supervisor: child pid %d survived SIGKILL for 5s", s.Status().PID)
		}
	}
	s.finalOnce.Do(func() {
		s.setState(StateStopped, nil)
		s.notify.close()
		s.unregisterMets()
	})
	return errors.Join(err, s.cleanupErr)
}

func (s *Supervisor) stopping() bool {
	select {
	case <-s.stopCh:
		return true
	default:
		return false
	}
}

// setState records a state change and queues it for OnStatus. err explains
// failure states; it is cleared when the child becomes ready again.
func (s *Supervisor) setState(state State, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.State == state && err == nil {
		return
	}
	s.st.State = state
	if err != nil || state == StateReady {
		s.st.Err = err
	}
	s.notify.push(s.st)
}

func (s *Supervisor) update(fn func(st *Status)) {
	s.mu.Lock()
	fn(&s.st)
	s.mu.Unlock()
}

// teardown removes files and closes done; called exactly once, by run or by
// a Shutdown that came before any Start.
func (s *Supervisor) teardown() {
	s.cleanupErr = cleanupFiles(&s.cfg, s.ep)
	if s.cleanupErr != nil {
		s.log.Warn("supervisor cleanup failed", zap.Error(s.cleanupErr))
	}
	s.update(func(st *Status) { st.PID = 0 })
	close(s.done)
}
