package supervisor

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

const (
	// maxLogLine bounds one re-emitted line; longer lines are cut and marked.
	maxLogLine = 64 << 10
	// crashTailBytes is how much recent child output a crash report carries.
	crashTailBytes = 16 << 10
)

// childLog turns the child's output into parent log entries: JSON lines
// ({timestamp, level, target, message, …fields}) at their own level with their
// fields, anything else as plain text. Every line also lands in tail.
type childLog struct {
	log   *zap.Logger // already Named("rust")
	tail  *ringBuffer
	route func(target string) LogRoute // nil: every line through log's filters
}

// consume reads r until EOF; stream names it ("stderr"/"stdout") on plain lines.
func (c *childLog) consume(r io.Reader, stream string) {
	_ = readLines(r, maxLogLine, func(line []byte, dropped int) {
		c.line(line, dropped, stream)
	})
}

func (c *childLog) line(raw []byte, dropped int, stream string) {
	text := string(raw)
	if dropped > 0 {
		text += fmt.Sprintf("…[truncated %d bytes]", dropped)
	}
	text = sanitize(text)
	_, _ = c.tail.Write([]byte(text + "\n"))
	if dropped == 0 && len(raw) > 0 && raw[0] == '{' {
		if c.emitJSON(raw) {
			return
		}
	}
	lvl := zapcore.InfoLevel
	if looksLikeTrouble(text) {
		lvl = zapcore.WarnLevel
	}
	if ce := c.log.Check(lvl, text); ce != nil {
		ce.Write(zap.String("stream", stream))
	}
}

// emitJSON re-emits one structured line; false if it is not a JSON object.
func (c *childLog) emitJSON(raw []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil || dec.More() {
		return false
	}
	// tracing-subscriber's default JSON layout nests the event under
	// "fields"; flatten it so both layouts read the same.
	if nested, ok := obj["fields"].(map[string]any); ok {
		delete(obj, "fields")
		for k, v := range nested {
			if _, clash := obj[k]; !clash {
				obj[k] = v
			}
		}
	}
	lvl := childLevel(obj["level"])
	msg, _ := obj["message"].(string)
	if msg == "" {
		msg, _ = obj["msg"].(string)
	}
	var route LogRoute
	if target, _ := obj["target"].(string); c.route != nil {
		route = c.route(target)
	}
	var ce *zapcore.CheckedEntry
	if !route.IgnoreLevel && !route.IgnoreSampling {
		if ce = c.log.Check(lvl, msg); ce == nil {
			return true
		}
	} else if !route.IgnoreLevel && !c.log.Core().Enabled(lvl) {
		return true
	}
	delete(obj, "level")
	delete(obj, "message")
	delete(obj, "msg")
	if ts, ok := obj["timestamp"]; ok {
		// The parent stamps its own time; keep the child's for ordering.
		delete(obj, "timestamp")
		obj["child_time"] = ts
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fields := make([]zap.Field, 0, len(keys))
	for _, k := range keys {
		fields = append(fields, jsonField(k, obj[k]))
	}
	if ce != nil {
		ce.Write(fields...)
		return true
	}
	// Checking is where zap's level and sampler decide; writing to the core
	// skips both and keeps everything else (encoding, outputs, tee, fields).
	ent := zapcore.Entry{Level: lvl, Time: time.Now(), LoggerName: c.log.Name(), Message: msg}
	_ = c.log.Core().Write(ent, fields)
	return true
}

func jsonField(k string, v any) zap.Field {
	switch v := v.(type) {
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return zap.Int64(k, i)
		}
		if f, err := v.Float64(); err == nil {
			return zap.Float64(k, f)
		}
		return zap.String(k, v.String())
	case string:
		return zap.String(k, v)
	case bool:
		return zap.Bool(k, v)
	case nil:
		return zap.Skip()
	}
	return zap.Any(k, v)
}

// childLevel maps the child's level; it never returns Fatal/Panic/DPanic,
// because re-emitting those would exit or panic the parent.
func childLevel(v any) zapcore.Level {
	s, _ := v.(string)
	switch strings.ToUpper(s) {
	case "TRACE", "DEBUG":
		return zapcore.DebugLevel
	case "WARN", "WARNING":
		return zapcore.WarnLevel
	case "ERROR", "FATAL", "CRITICAL", "PANIC":
		return zapcore.ErrorLevel
	}
	return zapcore.InfoLevel
}

// looksLikeTrouble flags unstructured lines that are probably a panic or an
// error (Rust panics and early config errors are printed as plain text).
func looksLikeTrouble(s string) bool {
	l := strings.ToLower(s)
	return strings.Contains(l, "panic") || strings.Contains(l, "error") || strings.Contains(l, "fatal")
}

// sanitize makes child output safe to print: invalid UTF-8 and control
// characters (terminal escape sequences included) become U+FFFD.
func sanitize(s string) string {
	clean := utf8.ValidString(s)
	for i := 0; clean && i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			clean = false
		}
	}
	if clean {
		return s
	}
	return strings.Map(func(r rune) rune {
		if (r < 0x20 && r != '\t') || r == 0x7f || r == utf8.RuneError {
			return '\uFFFD'
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}
