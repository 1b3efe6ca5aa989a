package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-hybrid/otelcol-hybrid/internal/testkit"
)

// sendMetrics runs telemetrygen metrics: n gauge points named name.
func sendMetrics(t *testing.T, endpoint, name string, n int) {
	t.Helper()
	run(t, 2*time.Minute, testkit.Binary(t, "TELEMETRYGEN_BIN"), "metrics", "--otlp-endpoint", endpoint, "--otlp-insecure",
		"--metrics", fmt.Sprint(n), "--rate", "0", "--otlp-metric-name", name)
}

// TestGoReceiverRustFilterRustExporter is the bridge's main path:
// telemetrygen → Go otlp receiver → bridge → Rust advanced_filter → Rust OTLP
// exporter → backend, for all three signals, with exact counts. Receiver
// placement is off; by default this receiver runs in Rust (placement_test.go).
func TestGoReceiverRustFilterRustExporter(t *testing.T) {
	t.Parallel()
	s := startScenario(t, "pipeline_filter_all_signals.yaml", scenarioOpts{})
	s.sendMetrics("up", 40)
	s.sendMetrics("scrape_duration_seconds", 40)
	s.sendMetrics("keep_me", 40)
	s.telemetrygen("traces", "--traces", "25")
	s.telemetrygen("logs", "--logs", "30", "--body", "keep me")
	s.telemetrygen("logs", "--logs", "30", "--body", "drop me please")
	s.waitPoints("keep_me", 40)
	// Drain everything in flight before asserting what must be absent.
	s.stop()

	be := s.be
	if got := be.Points("keep_me"); got != 40 {
		t.Errorf("keep_me: %d points, want 40", got)
	}
	for _, dropped := range []string{"up", "scrape_duration_seconds"} {
		if got := be.Points(dropped); got != 0 {
			t.Errorf("%s: %d points reached the backend, want 0 (dropped by advanced_filter)", dropped, got)
		}
	}
	if got := be.Spans("lets-go"); got != 25 {
		t.Errorf("lets-go spans: %d, want 25", got)
	}
	for _, name := range be.SpanNames() {
		if strings.HasPrefix(name, "okey-dokey") {
			t.Errorf("span %q reached the backend: %d", name, be.Spans(name))
		}
	}
	if got := be.Logs("keep me"); got != 30 {
		t.Errorf("kept logs: %d, want 30", got)
	}
	if got := be.Logs("drop me please"); got != 0 {
		t.Errorf("dropped logs reached the backend: %d", got)
	}
}

// TestRustReceiverGoProcessorsGoExporter is the reverse direction: a Rust
// receiver first in the pipeline, feeding Go components over a bridge.
func TestRustReceiverGoProcessorsGoExporter(t *testing.T) {
	t.Parallel()
	s := startScenario(t, "pipeline_rust_to_go.yaml", scenarioOpts{})
	s.sendMetrics("from_rust", 60)
	s.waitPoints("from_rust", 60)
	s.stop()
	if got := s.be.Points("from_rust"); got != 60 {
		t.Errorf("from_rust: %d, want 60", got)
	}
}

// TestPipelineCrossingTwice: Go receiver → Rust filter → Go batch → Go exporter.
func TestPipelineCrossingTwice(t *testing.T) {
	t.Parallel()
	s := startScenario(t, "pipeline_crossing_twice.yaml", scenarioOpts{})
	s.sendMetrics("up", 30)
	s.sendMetrics("twice", 30)
	s.waitPoints("twice", 30)
	s.stop()
	if got := s.be.Points("up"); got != 0 {
		t.Errorf("up: %d points, want 0", got)
	}
	if got := s.be.Points("twice"); got != 30 {
		t.Errorf("twice: %d, want 30", got)
	}
}
