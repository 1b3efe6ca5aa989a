package subprocessext

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/otelcol-hybrid/otelcol-hybrid/supervisor"
)

// LogsConfig tunes the Rust half's log lines, which otherwise follow
// service::telemetry::logs (level, encoding, sampling, outputs) like the
// collector's own.
type LogsConfig struct {
	// Levels sets the level of Rust log targets: a crate or module path such
	// as otelcol_advanced_filter or otelcol_core::runtime, and what under it.
	// Their lines are shown at that level even below
	// service::telemetry::logs::level, past sampling.
	Levels map[string]string `mapstructure:"levels"`
	// SampleDebugExporter lets service::telemetry::logs::sampling drop
	// rust_debug output too. By default every line rust_debug writes is
	// logged: it is output to be read item by item, not chatter.
	SampleDebugExporter bool `mapstructure:"sample_debug_exporter"`
}

// debugExporterTarget is the Rust debug exporter's log target (its crate).
const debugExporterTarget = "otelcol_debug_exporter"

var rustTarget = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(::[A-Za-z_][A-Za-z0-9_]*)*$`)

func (l LogsConfig) validate() []error {
	var errs []error
	targets := make([]string, 0, len(l.Levels))
	for t := range l.Levels {
		targets = append(targets, t)
	}
	sort.Strings(targets)
	for _, t := range targets {
		if !rustTarget.MatchString(t) {
			errs = append(errs, fmt.Errorf("logs::levels: %q is not a Rust log target (a crate or module path such as otelcol_advanced_filter or otelcol_core::runtime)", t))
		}
		if _, err := rustLevel(l.Levels[t]); err != nil {
			errs = append(errs, fmt.Errorf("logs::levels::%s: %w", t, err))
		}
	}
	return errs
}

// rustLevel maps the collector's (zap's) level names to the child's.
func rustLevel(level string) (string, error) {
	switch strings.ToLower(level) {
	case "debug", "info", "warn", "error":
		return strings.ToLower(level), nil
	case "dpanic", "panic", "fatal":
		return "error", nil
	}
	return "", fmt.Errorf("%q is not one of debug, info, warn, error", level)
}

// childEnv is the child's environment for Filter.
func (l LogsConfig) childEnv(baseLevel string) []string {
	if f := l.Filter(baseLevel); f != "" {
		return []string{"OTELCOL_RUST_LOG=" + f}
	}
	return nil
}

// Filter is the Rust half's log filter (OTELCOL_RUST_LOG) when targets have
// their own levels: the base level, then one directive per target; "" when
// none has.
func (l LogsConfig) Filter(baseLevel string) string {
	if len(l.Levels) == 0 {
		return ""
	}
	base, err := rustLevel(baseLevel)
	if err != nil {
		base = "info"
	}
	directives := []string{base}
	for t, lvl := range l.Levels {
		lvl, _ = rustLevel(lvl)
		directives = append(directives, t+"="+lvl)
	}
	sort.Strings(directives[1:])
	return strings.Join(directives, ",")
}

// Route tells which Rust lines skip the collector logger's level (targets
// given a level here) or sampling (those, and rust_debug's output); the
// supervisor applies it to a child's lines, supervisor.EmitRoutedLogLine to
// an in-process Rust half's.
func (l LogsConfig) Route() func(target string) supervisor.LogRoute {
	under := func(target, prefix string) bool {
		return target == prefix || strings.HasPrefix(target, prefix+"::")
	}
	return func(target string) supervisor.LogRoute {
		var r supervisor.LogRoute
		for t := range l.Levels {
			if under(target, t) {
				r.IgnoreLevel, r.IgnoreSampling = true, true
				break
			}
		}
		if !l.SampleDebugExporter && under(target, debugExporterTarget) {
			r.IgnoreSampling = true
		}
		return r
	}
}

// logsLevel is service::telemetry::logs::level as the converter passed it
// to the Rust half; the collector's default, info, when absent.
func logsLevel(rust map[string]any) string {
	svc, _ := rust["service"].(map[string]any)
	tel, _ := svc["telemetry"].(map[string]any)
	logs, _ := tel["logs"].(map[string]any)
	if l, _ := logs["level"].(string); l != "" {
		return l
	}
	return "info"
}
