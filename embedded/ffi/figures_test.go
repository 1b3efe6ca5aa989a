//go:build cgo && otelcol_embedded

package ffi

import (
	"encoding/json"
	"os"
	"testing"
)

// TestFFIFiguresJSON writes the crossing's cost figures for the benchmark
// report (hybench reads FFI_FIGURES_OUT): context transfer and error
// translation per call (testing.Benchmark), the p99 of cancel → Rust request
// ended, and the Go heap one request in flight holds. Without the variable
// it does nothing: the figures are measured by `make bench`, not asserted here.
func TestFFIFiguresJSON(t *testing.T) {
	out := os.Getenv("FFI_FIGURES_OUT")
	if out == "" {
		t.Skip("FFI_FIGURES_OUT is not set (make bench sets it)")
	}
	ctxRes := testing.Benchmark(BenchmarkContextTransfer)
	errRes := testing.Benchmark(BenchmarkErrorTranslation)
	rtRes := testing.Benchmark(BenchmarkRoundTrip)
	p50, p99 := cancelLatency(t, 500)
	figures := map[string]float64{
		"ffi_context_transfer_us":     float64(ctxRes.NsPerOp()) / 1e3,
		"ffi_context_transfer_bytes":  float64(ctxRes.AllocedBytesPerOp()),
		"ffi_error_translation_us":    float64(errRes.NsPerOp()) / 1e3,
		"ffi_round_trip_us":           float64(rtRes.NsPerOp()) / 1e3,
		"ffi_cancel_latency_p50_ms":   float64(p50.Microseconds()) / 1e3,
		"ffi_cancel_latency_p99_ms":   float64(p99.Microseconds()) / 1e3,
		"ffi_go_bytes_per_active_req": bytesPerActiveRequest(t, 500),
	}
	b, err := json.Marshal(figures)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", b)
}
