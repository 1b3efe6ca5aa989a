package collector

import (
	"io"
	"os"
	"runtime/debug"
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
