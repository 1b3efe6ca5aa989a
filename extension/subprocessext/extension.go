package subprocessext

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/extension"
	"go.uber.org/zap"

	"github.com/otelcol-hybrid/otelcol-hybrid/collector/mode"
	"github.com/otelcol-hybrid/otelcol-hybrid/collector/runtimedir"
	"github.com/otelcol-hybrid/otelcol-hybrid/collector/rustexe"
	"github.com/otelcol-hybrid/otelcol-hybrid/collector/rustmetrics"
	"github.com/otelcol-hybrid/otelcol-hybrid/extension/bridgectxext"
	"github.com/otelcol-hybrid/otelcol-hybrid/supervisor"
)

type subprocessExtension struct {
	cfg *Config
	set extension.Settings

	mu  sync.Mutex
	sup *supervisor.Supervisor
	// listeners are the sockets every child inherits (transport tcp):
	// held from the first start to Shutdown, across restarts.
	listeners *listenerHandoff
	stop      chan struct{}
	done      chan struct{}
	metrics   *rustmetrics.Metrics
}

func newExtension(set extension.Settings, cfg *Config) *subprocessExtension {
	return &subprocessExtension{cfg: cfg, set: set}
}

func (e *subprocessExtension) Start(ctx context.Context, host component.Host) error {
	if e.cfg.RustConfig == nil {
		e.set.Logger.Info("No Rust component in the config: no subprocess started")
		return nil
	}
	if _, err := mode.Select(e.cfg.Mode, mode.CgoEnabled); err != nil {
		return err
	}
	dir := e.cfg.RuntimeDir
	for _, stale := range runtimedir.SweepStale(dir) {
		e.set.Logger.Info("Removed the runtime dir of a dead otelcol-hybrid process", zap.String("dir", stale))
	}
	if err := runtimedir.Create(dir); err != nil {
		return err
	}
	half, listeners := handOffListeners(e.cfg.RustConfig)
	sup, err := e.newSupervisor(ctx, host, dir, half, listeners)
	if err != nil {
		listeners.release()
		_ = os.RemoveAll(dir)
		return err
	}
	if err := sup.Start(ctx); err != nil {
		_ = sup.Shutdown(context.Background())
		listeners.release()
		_ = os.RemoveAll(dir)
		return fmt.Errorf("starting otelcol-rust: %w", err)
	}
	listeners.releaseGoSide()
	mets, err := rustmetrics.RegisterNamed(e.set.MeterProvider, rustmetrics.Level(e.cfg.RustConfig), e.cfg.RustComponentNames,
		func(ctx context.Context) ([]byte, error) { return sup.Call(ctx, rustmetrics.SnapshotMethod, nil) })
	if err != nil {
		e.set.Logger.Warn("The Rust components' metrics are not reported", zap.Error(err))
	}
	e.mu.Lock()
	e.sup = sup
	e.listeners = listeners
	e.stop, e.done = make(chan struct{}), make(chan struct{})
	e.metrics = mets
	e.mu.Unlock()
	go e.watchFatal(host, sup)
	return nil
}

// newSupervisor runs half (the Rust half with its inherited listeners'
// endpoints, see handOffListeners).
func (e *subprocessExtension) newSupervisor(ctx context.Context, host component.Host, dir string,
	half map[string]any, listeners *listenerHandoff) (*supervisor.Supervisor, error) {
	exe, err := rustexe.Get(ctx, e.cfg.rustexeOptions())
	if err != nil {
		return nil, err
	}
	rendered := *e.cfg
	rendered.RustConfig = half
	data, err := rendered.rustYAML()
	if err != nil {
		return nil, err
	}
	cfgFile := filepath.Join(dir, "rust.yaml")
	if err := os.WriteFile(cfgFile, data, 0o600); err != nil {
		return nil, fmt.Errorf("writing the Rust half: %w", err)
	}
	e.set.Logger.Info("Starting otelcol-rust", zap.String("executable", exe.Path),
		zap.String("version", exe.Version), zap.String("config", cfgFile), zap.String("health", e.cfg.HealthEndpoint))
	c := e.cfg
	args := []string{"--config", cfgFile, "--exit-with-parent", "--exit-on-stdin-eof", "--secret-on-stdin"}
	if n := len(listeners.files); n > 0 {
		args = append(args, "--listen-fds", strconv.Itoa(n))
	}
	return supervisor.New(supervisor.Config{
		Path:           exe.Path,
		Args:           args,
		ExtraFiles:     listeners.files,
		ConfigFile:     cfgFile,
		Dir:            dir,
		HealthEndpoint: c.HealthEndpoint,
		// The bridges' and health listener's secret, on the child's stdin;
		// the Go bridge ends hold the same one (bridge_context).
		Secret:        bridgectxext.Secret(),
		SecretHeader:  bridgectxext.SecretHeader,
		StartTimeout:  c.StartTimeout,
		ShutdownGrace: c.ShutdownGrace,
		Probe: supervisor.ProbeConfig{
			Period: c.HealthCheck.Period, Timeout: c.HealthCheck.Timeout, FailureThreshold: c.HealthCheck.FailureThreshold,
		},
		Restart: supervisor.RestartPolicy{
			InitialBackoff: c.Restart.InitialBackoff, MaxBackoff: c.Restart.MaxBackoff,
			Multiplier: c.Restart.Multiplier, Jitter: c.Restart.Jitter, ResetAfter: c.Restart.ResetAfter,
			MaxRestarts: c.Restart.MaxRestarts, Window: c.Restart.Window,
		},
		Env:           append(c.Logs.childEnv(logsLevel(c.RustConfig)), spoolEnv(dir)),
		LogRoute:      c.Logs.Route(),
		Logger:        e.set.Logger,
		MeterProvider: e.set.MeterProvider,
		OnStatus:      func(st supervisor.Status) { reportStatus(host, st) },
	})
}

// spoolEnv names where the child's sending queues keep what they
// acknowledged (`OTELCOL_RUST_SPOOL_DIR`, read by otelcol-core's spool): a
// child the supervisor restarts finds there, inside this collector's private
// runtime dir, what the one before it answered for and had not delivered, so
// a restart the operator never asked for loses nothing acknowledged. The dir
// goes with the collector, as an in-memory queue does.
func spoolEnv(runtimeDir string) string {
	return "OTELCOL_RUST_SPOOL_DIR=" + filepath.Join(runtimeDir, "spool")
}

// reportStatus maps the child's state onto the collector's component status,
// so health endpoints and status watchers see the Rust half like any component.
func reportStatus(host component.Host, st supervisor.Status) {
	switch st.State {
	case supervisor.StateReady:
		componentstatus.ReportStatus(host, componentstatus.NewEvent(componentstatus.StatusOK))
	case supervisor.StateUnhealthy, supervisor.StateRestarting:
		err := st.Err
		if err == nil {
			err = fmt.Errorf("otelcol-rust is %s", st.State)
		}
		componentstatus.ReportStatus(host, componentstatus.NewRecoverableErrorEvent(err))
	}
}

// watchFatal turns a crash loop into a fatal status, which stops the collector:
// running on without the Rust half would accept data it cannot deliver.
func (e *subprocessExtension) watchFatal(host component.Host, sup *supervisor.Supervisor) {
	defer close(e.done)
	select {
	case err := <-sup.Fatal():
		if err != nil {
			e.set.Logger.Error("otelcol-rust failed permanently", zap.Error(err))
			componentstatus.ReportStatus(host, componentstatus.NewFatalErrorEvent(err))
		}
	case <-e.stop:
	}
}

func (e *subprocessExtension) Shutdown(ctx context.Context) error {
	e.mu.Lock()
	sup, stop, done, mets := e.sup, e.stop, e.done, e.metrics
	listeners := e.listeners
	e.sup, e.metrics, e.listeners = nil, nil, nil
	e.mu.Unlock()
	mets.Unregister()
	if sup == nil {
		return nil
	}
	close(stop)
	<-done
	err := sup.Shutdown(ctx)
	// No child serves on them any more.
	listeners.release()
	if rmErr := os.RemoveAll(e.cfg.RuntimeDir); rmErr != nil {
		err = errors.Join(err, rmErr)
	}
	return err
}
