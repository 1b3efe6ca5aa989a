//go:build cgo && otelcol_embedded

package rustembeddedext

import (
	"context"
	"fmt"
	"os"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/extension"
	"go.uber.org/zap"

	"github.com/otelcol-hybrid/otelcol-hybrid/collector/rustmetrics"
	"github.com/otelcol-hybrid/otelcol-hybrid/embedded/ffi"
)

type embeddedExtension struct {
	cfg     *Config
	set     extension.Settings
	started bool
	metrics *rustmetrics.Metrics
}

func (e *embeddedExtension) Start(_ context.Context, host component.Host) error {
	if e.cfg.RustConfig == nil {
		e.set.Logger.Info("No Rust component in the config: the Rust half does not start")
		return nil
	}
	data, err := e.cfg.rustYAML()
	if err != nil {
		return err
	}
	ffi.SetLogger(e.set.Logger, e.cfg.Logs.Route())
	// The Rust half reads its per-target filter where the child does (the
	// environment), before its logging starts.
	if f := e.cfg.Logs.Filter(e.cfg.logsLevel()); f != "" {
		if err := os.Setenv("OTELCOL_RUST_LOG", f); err != nil {
			return err
		}
	}
	began := time.Now()
	if err := ffi.Start(data); err != nil {
		return fmt.Errorf("starting the Rust half in-process: %w", err)
	}
	e.started = true
	// The same series as in subprocess mode, read in-process instead of
	// over the child's health listener.
	mets, err := rustmetrics.RegisterNamed(e.set.MeterProvider, rustmetrics.Level(e.cfg.RustConfig), e.cfg.RustComponentNames,
		func(context.Context) ([]byte, error) { return ffi.MetricsSnapshot(), nil })
	if err != nil {
		e.set.Logger.Warn("The Rust components' metrics are not reported", zap.Error(err))
	}
	e.metrics = mets
	e.set.Logger.Info("Rust components run in-process (embedded mode)", zap.Duration("start", time.Since(began)),
		zap.String("rust_object_sha256", ffi.LinkedObject))
	componentstatus.ReportStatus(host, componentstatus.NewEvent(componentstatus.StatusOK))
	return nil
}

func (e *embeddedExtension) Shutdown(context.Context) error {
	if !e.started {
		return nil
	}
	e.started = false
	e.metrics.Unregister()
	return ffi.Shutdown()
}

// logsLevel is the Rust half's service::telemetry::logs::level (info by default).
func (c *Config) logsLevel() string {
	svc, _ := c.RustConfig["service"].(map[string]any)
	tel, _ := svc["telemetry"].(map[string]any)
	logs, _ := tel["logs"].(map[string]any)
	if l, _ := logs["level"].(string); l != "" {
		return l
	}
	return "info"
}
