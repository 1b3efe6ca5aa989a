//go:build cgo && otelcol_embedded

package ffi

import (
	"encoding/json"
	"sync/atomic"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

var logger atomic.Pointer[zap.Logger]

// SetLogger makes l (named "rust") the destination of the Rust half's log
// lines, as the child's stderr is in subprocess mode.
func SetLogger(l *zap.Logger) { logger.Store(l.Named("rust")) }

// logLine re-emits one JSON line of the Rust half: its level and message,
// and every other field as a field.
func logLine(raw []byte) {
	l := logger.Load()
	if l == nil {
		return
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		l.Info(string(raw))
		return
	}
	msg, _ := m["message"].(string)
	lvl := zapcore.InfoLevel
	switch m["level"] {
	case "TRACE", "DEBUG":
		lvl = zapcore.DebugLevel
	case "WARN":
		lvl = zapcore.WarnLevel
	case "ERROR":
		lvl = zapcore.ErrorLevel
	}
	delete(m, "message")
	delete(m, "level")
	delete(m, "timestamp")
	fields := make([]zap.Field, 0, len(m))
	for k, v := range m {
		fields = append(fields, zap.Any(k, v))
	}
	if ce := l.Check(lvl, msg); ce != nil {
		ce.Write(fields...)
	}
}
