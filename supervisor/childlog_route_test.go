package supervisor

import (
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// sampledInfoLogger is the collector's default logger shape: info level,
// sampling 10 a second of one message, then 1 in 100.
func sampledInfoLogger() (*zap.Logger, *observer.ObservedLogs) {
	core, logs := observer.New(zapcore.InfoLevel)
	sampled := zapcore.NewSamplerWithOptions(core, time.Minute, 10, 100)
	return zap.New(sampled).Named("rust"), logs
}

func repeat(line string, n int) string {
	return strings.Repeat(line+"\n", n)
}

func TestChildLogRoutesPastSamplingAndLevel(t *testing.T) {
	const debugExporter = "otelcol_debug_exporter"
	route := func(target string) LogRoute {
		return LogRoute{
			IgnoreSampling: target == debugExporter,
			IgnoreLevel:    strings.HasPrefix(target, "otelcol_advanced_filter"),
		}
	}
	in := repeat(`{"level":"INFO","target":"otelcol_debug_exporter","message":"metric","metric":"up"}`, 50) +
		repeat(`{"level":"INFO","target":"otelcol_core::runtime","message":"chatty"}`, 50) +
		repeat(`{"level":"DEBUG","target":"otelcol_advanced_filter","message":"dropped"}`, 3) +
		repeat(`{"level":"DEBUG","target":"otelcol_core::runtime","message":"hidden"}`, 3)

	log, logs := sampledInfoLogger()
	(&childLog{log: log, tail: newRingBuffer(1024), route: route}).consume(strings.NewReader(in), "stderr")
	count := func(msg string) int { return logs.FilterMessage(msg).Len() }
	if got := count("metric"); got != 50 {
		t.Errorf("debug exporter lines: %d of 50 written, want every one", got)
	}
	if got := count("chatty"); got != 10 {
		t.Errorf("other lines: %d written, want the sampler's 10", got)
	}
	if got := count("dropped"); got != 3 {
		t.Errorf("debug lines of a target given its own level: %d of 3 written", got)
	}
	if got := count("hidden"); got != 0 {
		t.Errorf("debug lines below the logger's level: %d written", got)
	}
	e := logs.FilterMessage("metric").All()[0]
	if e.LoggerName != "rust" || e.ContextMap()["metric"] != "up" || e.ContextMap()["target"] != debugExporter {
		t.Errorf("a routed line keeps its logger name and fields: %+v", e)
	}

	// Without a route, the parent's sampler applies to every line alike.
	log, logs = sampledInfoLogger()
	(&childLog{log: log, tail: newRingBuffer(1024)}).consume(strings.NewReader(in), "stderr")
	if got := logs.FilterMessage("metric").Len(); got != 10 {
		t.Errorf("unrouted: %d written, want 10", got)
	}
}
