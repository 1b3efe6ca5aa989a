//go:build cgo && otelcol_embedded

package ffi

import (
	"sync/atomic"

	"go.uber.org/zap"

	"github.com/otelcol-hybrid/otelcol-hybrid/supervisor"
)

type logSink struct {
	l     *zap.Logger
	route func(target string) supervisor.LogRoute
}

var logger atomic.Pointer[logSink]

// SetLogger makes l (named "rust") the destination of the Rust half's log
// lines, as the child's stderr is in subprocess mode; route (may be nil)
// says which targets skip the logger's level or sampling, as
// supervisor.Config.LogRoute does for the child.
func SetLogger(l *zap.Logger, route func(target string) supervisor.LogRoute) {
	logger.Store(&logSink{l: l.Named("rust"), route: route})
}

// logLine re-emits one JSON line of the Rust half the way the child's
// lines are re-emitted in subprocess mode, so both modes log alike.
func logLine(raw []byte) {
	s := logger.Load()
	switch {
	case s == nil:
	case s.route != nil:
		supervisor.EmitRoutedLogLine(s.l, raw, s.route)
	default:
		supervisor.EmitLogLine(s.l, raw)
	}
}
