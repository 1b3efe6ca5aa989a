package collector

import (
	"bytes"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/otelcol"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/otelcol-hybrid/otelcol-hybrid/internal/startupgc"
)

// TestServiceReadyEndsStartupGC: the logger options prepare installs end the
// start-up GC setting on the service's ready line, and not before.
func TestServiceReadyEndsStartupGC(t *testing.T) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		t.Skip("GOGC or GOMEMLIMIT is set: the start-up setting never applied")
	}
	percent := func() int {
		p := debug.SetGCPercent(100)
		debug.SetGCPercent(p)
		return p
	}
	set, _ := prepare(otelcol.CollectorSettings{Factories: func() (otelcol.Factories, error) { return otelcol.Factories{}, nil }})
	// Hooks run for entries the core writes (a Nop core writes none).
	logger := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(io.Discard), zapcore.InfoLevel), set.LoggingOptions...)
	if got := percent(); got != startupgc.StartupPercent {
		t.Fatalf("GC percent while starting = %d, want %d", got, startupgc.StartupPercent)
	}
	logger.Info("Starting extensions...")
	if got := percent(); got != startupgc.StartupPercent {
		t.Fatalf("GC percent after another line = %d, want still %d", got, startupgc.StartupPercent)
	}
	logger.Info(serviceReady)
	if got := percent(); got != 100 {
		t.Fatalf("GC percent after the ready line = %d, want the default 100", got)
	}
}

// TestReadyWatchWritesThroughTheCore: the Rust half's unsampled lines are
// written to the logger's core directly, and must still reach the output.
func TestReadyWatchWritesThroughTheCore(t *testing.T) {
	set, _ := prepare(otelcol.CollectorSettings{Factories: func() (otelcol.Factories, error) { return otelcol.Factories{}, nil }})
	var out bytes.Buffer
	logger := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(&out), zapcore.InfoLevel), set.LoggingOptions...)
	_ = logger.With(zap.String("k", "v")).Core().Write(zapcore.Entry{Level: zapcore.InfoLevel, Message: "written to the core"}, nil)
	logger.Info("checked and written")
	for _, want := range []string{`"msg":"written to the core","k":"v"`, `"msg":"checked and written"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %s:\n%s", want, out.String())
		}
	}
}
