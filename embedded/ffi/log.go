//go:build cgo && otelcol_embedded

package ffi

import (
	"sync/atomic"

	"go.uber.org/zap"

	"github.com/otelcol-hybrid/otelcol-hybrid/supervisor"
)

var logger atomic.Pointer[zap.Logger]

// SetLogger makes l (named "rust") the destination of the Rust half's log
// lines, as the child's stderr is in subprocess mode.
func SetLogger(l *zap.Logger) { logger.Store(l.Named("rust")) }

// logLine re-emits one JSON line of the Rust half the way the child's
// lines are re-emitted in subprocess mode, so both modes log alike.
func logLine(raw []byte) {
	if l := logger.Load(); l != nil {
		supervisor.EmitLogLine(l, raw)
	}
}
