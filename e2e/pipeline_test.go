package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-hybrid/otelcol-hybrid/internal/testkit"
)

const quietTelemetry = `
  telemetry:
    metrics:
      level: none`

// sendMetrics runs telemetrygen metrics: n gauge points named name.
func sendMetrics(t *testing.T, endpoint, name string, n int) {
	t.Helper()
	run(t, 2*time.Minute, binary(t, "TELEMETRYGEN_BIN"), "metrics", "--otlp-endpoint", endpoint, "--otlp-insecure",
		"--metrics", fmt.Sprint(n), "--rate", "0", "--otlp-metric-name", name)
}

// TestGoReceiverRustFilterRustExporter is the bridge's main path:
// telemetrygen → Go otlp receiver → bridge → Rust advanced_filter → Rust OTLP
// exporter → backend, for all three signals, with exact counts. Receiver
// placement is off; by default this receiver runs in Rust (placement_test.go).
func TestGoReceiverRustFilterRustExporter(t *testing.T) {
	be := startBackend(t)
	in := testkit.FreeAddr(t)
	h := startHybrid(t, keepReceiversInGo+fmt.Sprintf(`
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: %s
processors:
  advanced_filter:
    drop_metrics: ["up", "scrape_*"]
    drop_spans: ["okey-dokey*"]
    drop_logs: ["drop me*"]
exporters:
  otlp_rust:
    endpoint: %s
    tls:
      insecure: true
service:%s
  pipelines:
    metrics:
      receivers: [otlp]
      processors: [advanced_filter]
      exporters: [otlp_rust]
    traces:
      receivers: [otlp]
      processors: [advanced_filter]
      exporters: [otlp_rust]
    logs:
      receivers: [otlp]
      processors: [advanced_filter]
      exporters: [otlp_rust]
`, in, be.Addr, quietTelemetry), hybridOpts{})
	h.waitReady()

	tg := binary(t, "TELEMETRYGEN_BIN")
	sendMetrics(t, in, "up", 40)
	sendMetrics(t, in, "scrape_duration_seconds", 40)
	sendMetrics(t, in, "keep_me", 40)
	run(t, 2*time.Minute, tg, "traces", "--otlp-endpoint", in, "--otlp-insecure", "--traces", "25", "--rate", "0")
	run(t, 2*time.Minute, tg, "logs", "--otlp-endpoint", in, "--otlp-insecure", "--logs", "30", "--rate", "0", "--body", "keep me")
	run(t, 2*time.Minute, tg, "logs", "--otlp-endpoint", in, "--otlp-insecure", "--logs", "30", "--rate", "0", "--body", "drop me please")

	testkit.Eventually(t, time.Minute, "40 keep_me points at the backend", func() bool { return be.Points("keep_me") == 40 })
	// Drain everything in flight before asserting what must be absent.
	h.stopGracefully(60 * time.Second)
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
	be := startBackend(t)
	in := testkit.FreeAddr(t)
	h := startHybrid(t, fmt.Sprintf(`
receivers:
  rust_otlp:
    protocols:
      grpc:
        endpoint: %s
processors:
  batch:
    timeout: 100ms
exporters:
  otlp:
    endpoint: %s
    tls:
      insecure: true
service:%s
  pipelines:
    metrics:
      receivers: [rust_otlp]
      processors: [batch]
      exporters: [otlp]
`, in, be.Addr, quietTelemetry), hybridOpts{})
	h.waitReady()
	sendMetrics(t, in, "from_rust", 60)
	testkit.Eventually(t, time.Minute, "60 points through Rust → Go", func() bool { return be.Points("from_rust") == 60 })
	h.stopGracefully(60 * time.Second)
	if got := be.Points("from_rust"); got != 60 {
		t.Errorf("from_rust: %d, want 60", got)
	}
}

// TestPipelineCrossingTwice: Go receiver → Rust filter → Go batch → Go exporter.
func TestPipelineCrossingTwice(t *testing.T) {
	be := startBackend(t)
	in := testkit.FreeAddr(t)
	h := startHybrid(t, fmt.Sprintf(`
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: %s
processors:
  advanced_filter:
    drop_metrics: ["up"]
  batch:
    timeout: 100ms
exporters:
  otlp:
    endpoint: %s
    tls:
      insecure: true
service:%s
  pipelines:
    metrics:
      receivers: [otlp]
      processors: [advanced_filter, batch]
      exporters: [otlp]
`, in, be.Addr, quietTelemetry), hybridOpts{})
	h.waitReady()
	sendMetrics(t, in, "up", 30)
	sendMetrics(t, in, "twice", 30)
	testkit.Eventually(t, time.Minute, "30 points crossing twice", func() bool { return be.Points("twice") == 30 })
	h.stopGracefully(60 * time.Second)
	if got := be.Points("up"); got != 0 {
		t.Errorf("up: %d points, want 0", got)
	}
	if got := be.Points("twice"); got != 30 {
		t.Errorf("twice: %d, want 30", got)
	}
}
