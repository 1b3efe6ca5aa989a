package supervisor

import "go.uber.org/zap"

// EmitLogLine re-emits one line a helper wrote as JSON (tracing's layout:
// timestamp, level, message, fields) through l, exactly as a child's
// stderr lines are: its level, its fields, its own time as child_time.
// A line that is not a JSON object is logged as plain text at info. An
// in-process helper (the embedded Rust half) uses it so its lines read the
// same as the child's.
func EmitLogLine(l *zap.Logger, raw []byte) {
	c := &childLog{log: l}
	if !c.emitJSON(raw) {
		l.Info(string(raw))
	}
}
