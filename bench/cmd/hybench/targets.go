package main

import (
	"fmt"
	"math"
	"reflect"
)

// target is one performance goal on a summary.json key. This table is the only
// place goals are written: REPORT.md's Targets section and `hybench check`
// (make bench-check) both read it, so the two can never disagree.
type target struct {
	key  string
	min  bool // true: the value must be ≥ lim; false: ≤ lim
	lim  float64
	what string // one line for the report
}

var targets = []target{
	// CPU seconds per item, metrics-1000, every figure from the same run.
	{"rust_pipeline_vs_native_cpu_per_item", false, 0.35, "all-Rust pipeline (rust_otlp → advanced_filter → otlp_rust) ÷ native Go otlp → otlp"},
	{"hybrid_vs_native_cpu_per_item", false, 1.15, "Go otlp → bridge → Rust advanced_filter → otlp_rust, receiver placement off so the bridge is measured, ÷ native"},
	{"filter_hybrid_vs_go_cpu_per_item", false, 0.40, "the user's Go otlp receiver (placed in Rust by default) → Rust advanced_filter → otlp_rust ÷ Go with contrib filterprocessor"},
	{"go_rust_go_vs_native_cpu_per_item", false, 1.35, "two crossings (Go otlp → Rust advanced_filter → Go batch → Go exporter) ÷ the same pipeline all-Go"},
	{"otap_vs_otlp_wire_bytes", false, 0.7, "bytes on the wire, otap exporter ÷ otlp_rust (gzip), same data"},
	{"rss_mib_hybrid_child", false, 32, "peak RSS (VmHWM) of the Rust child in the hybrid scenario, MiB"},

	{"hybrid_vs_native_throughput", true, 0.95, "max sustained items/s, hybrid ÷ native"},
	{"cold_start_ms", false, 150, "exec → ready, empty extraction cache"},
	{"warm_start_ms", false, 50, "exec → ready, warm extraction cache"},
	{"extract_vs_floor_ratio", false, 1.5, "cold extraction ÷ zstd -d | sha256sum"},
	{"warm_verify_vs_sha256_ratio", false, 1.2, "warm re-verify ÷ one sha256sum"},
	{"metadata_10_keys_throughput_loss", false, 0.05, "throughput lost carrying 10 metadata keys across the bridge"},
	{"context_transfer_us_per_request", false, 100, "Go interceptor + Rust decode of 10 keys + traceparent, µs"},
	{"context_bytes_per_request_go", false, 1024, "heap bytes per transferred context, Go"},
	{"context_bytes_per_request_rust", false, 1024, "heap bytes per transferred context, Rust"},
	{"error_translation_us_per_error", false, 10, "Rust error → gRPC status → Go classification, µs"},

	// The embedded build (bin/otelcol-hybrid-embedded, make bench passes -embedded-bin).
	{"embedded_vs_native_cpu_per_item", false, 1.05, "scenario 2's config in the embedded binary (in-process crossing) ÷ native"},
	{"embedded_start_ms", false, 30, "exec → ready of the embedded binary, one crossing, nothing extracted"},
	{"ffi_context_transfer_us", false, 5, "Go context → C struct → Rust RequestContext, 10 keys + trace context, µs"},
	{"ffi_error_translation_us", false, 2, "error struct → consumererror as the OTLP exporter classifies, µs"},
	{"ffi_cancel_latency_p99_ms", false, 1, "Go cancel → Rust request ended (the waiting goroutine's select → CancellationToken), p99 ms"},
	{"ffi_go_bytes_per_active_request", false, 1024, "Go heap one request in flight across the FFI holds (10 keys + trace context), bytes"},
}

func (t target) op() string {
	if t.min {
		return "≥"
	}
	return "≤"
}

// value reads the target's key from a summary as JSON (nil/NaN = missing).
func (t target) value(m map[string]any) (float64, bool) {
	v, ok := m[t.key].(float64)
	return v, ok && !math.IsNaN(v)
}

func (t target) met(v float64) bool {
	return (t.min && v >= t.lim) || (!t.min && v <= t.lim)
}

// summaryMap is the summary as summary.json holds it.
func summaryMap(s *summary) map[string]any {
	m, _ := jsonTree(reflect.ValueOf(*s)).(map[string]any)
	return m
}

// targetRows is the Targets table of REPORT.md.
func targetRows(m map[string]any) string {
	out := "| figure | value | target | verdict | what |\n|---|---|---|---|---|\n"
	for _, t := range targets {
		v, ok := t.value(m)
		val, verdict := "n/a", "**missing**"
		if ok {
			val, verdict = fmt.Sprintf("%.3f", v), "met"
			if !t.met(v) {
				verdict = "**MISSED**"
			}
		}
		out += fmt.Sprintf("| %s | %s | %s %g | %s | %s |\n", t.key, val, t.op(), t.lim, verdict, t.what)
	}
	return out
}
