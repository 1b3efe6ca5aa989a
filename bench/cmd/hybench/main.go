// Command hybench benchmarks otelcol-hybrid against all-Go pipelines on the
// same machine in the same run, and writes bench/results/{summary.json,
// REPORT.md, *.png}.
//
//	hybench run   -root /work/main -out bench/results [-dur 6s ...]
//	hybench check -summary bench/results/summary.json
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"time"
)

func logf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "hybench %s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, a...)...)
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: hybench run|check [flags]")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "run":
		run(os.Args[2:])
	case "check":
		os.Exit(check(os.Args[2:]))
	case "report":
		rerender(os.Args[2:])
	default:
		fmt.Fprintln(os.Stderr, "usage: hybench run|check [flags]")
		os.Exit(2)
	}
}

type machineInfo struct {
	Nproc      int     `json:"nproc"`
	CPUModel   string  `json:"cpu_model"`
	Kernel     string  `json:"kernel"`
	GoVersion  string  `json:"go_version"`
	MemTotalMB float64 `json:"mem_total_mib"`
	LoadBefore string  `json:"loadavg_before"`
	LoadAfter  string  `json:"loadavg_after"`
	Nice       string  `json:"nice"`
}

func machine() machineInfo {
	m := machineInfo{Nproc: runtime.NumCPU(), GoVersion: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				m.CPUModel = strings.TrimSpace(l[strings.Index(l, ":")+1:])
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	m.MemTotalMB = statusLikeKiB("/proc/meminfo", "MemTotal") / 1024
	m.LoadBefore = loadavg()
	if out, err := exec.Command("bash", "-c", "ps -o ni= -p $PPID").Output(); err == nil {
		m.Nice = strings.TrimSpace(string(out))
	}
	return m
}

func statusLikeKiB(path, key string) float64 {
	b, _ := os.ReadFile(path)
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, key+":") {
			var v float64
			if _, err := fmt.Sscan(strings.TrimSpace(l[len(key)+1:]), &v); err != nil {
				return 0
			}
			return v
		}
	}
	return 0
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return ""
}

// summary is what summary.json holds. The figures are grouped by area in
// embedded structs: their fields are promoted in Go and flattened in JSON
// (by encoding/json and by jsonTree alike), so every figure keeps its
// top-level key, which the target table (targets.go) names.
type summary struct {
	PipelineFigures
	ContextFigures
	StartupFigures
	ExtractFigures
	MemoryFigures
	RustBenchFigures
	EmbeddedFigures
	OTAPFigures

	Headline     string                        `json:"headline_combo"`
	PerCombo     map[string]map[string]float64 `json:"hybrid_vs_native_throughput_per_combo"`
	Machine      machineInfo                   `json:"machine"`
	Load         map[string]any                `json:"load"`
	Scenarios    []scenarioResult              `json:"scenarios"`
	Startup      startupResult                 `json:"startup"`
	Extract      extractResult                 `json:"extract"`
	SHA256       shaResult                     `json:"sha256"`
	ContextCosts contextCostResult             `json:"context_costs"`
	Errors       []string                      `json:"errors,omitempty"`
	Perf         []string                      `json:"perf,omitempty"`
	GeneratedAt  time.Time                     `json:"generated_at"`
	RuntimeSec   float64                       `json:"runtime_sec"`
}

// PipelineFigures holds throughput, CPU per item and latency of the load
// scenarios, each as a ratio or difference against its all-Go baseline.
type PipelineFigures struct {
	HybridVsNativeThroughput float64 `json:"hybrid_vs_native_throughput"`
	HybridVsNativeCPUPerItem float64 `json:"hybrid_vs_native_cpu_per_item"`
	HybridVsNativeCPUNorm    float64 `json:"hybrid_vs_native_throughput_cpu_normalized"`
	HybridVsNativeCoresBusy  float64 `json:"hybrid_vs_native_cores_busy"`
	FilterHybridVsGoThru     float64 `json:"filter_hybrid_vs_go_throughput"`
	FilterHybridVsGoCPU      float64 `json:"filter_hybrid_vs_go_cpu_per_item"`
	GoRustGoVsNativeBatch    float64 `json:"go_rust_go_vs_native_batch_throughput"`
	GoRustGoVsNativeCPU      float64 `json:"go_rust_go_vs_native_cpu_per_item"`
	GoHalfVsNativeCPU        float64 `json:"go_half_vs_native_cpu_per_item"`
	RustPipelineVsNative     float64 `json:"rust_pipeline_vs_native_throughput"`
	RustPipelineVsNativeCPU  float64 `json:"rust_pipeline_vs_native_cpu_per_item"`
	BridgeP50LatencyMs       float64 `json:"bridge_p50_latency_ms"`
	BridgeP99LatencyMs       float64 `json:"bridge_p99_latency_ms"`
}

// ContextFigures holds what carrying client metadata, trace context and errors
// across the bridge costs, end to end and per request.
type ContextFigures struct {
	MetadataKeysAtSink     float64        `json:"metadata_keys_forwarded_to_sink"`
	ContextCPUusPerReq     float64        `json:"context_transfer_cpu_us_per_request"`
	ContextP50AddedMs      float64        `json:"context_transfer_p50_added_ms"`
	ErrorRTTp50Ms          float64        `json:"error_rtt_p50_ms"`
	OKRTTp50Ms             float64        `json:"ok_rtt_p50_ms"`
	ErrorVsOKRTTp50Ms      float64        `json:"error_translation_vs_ok_p50_ms"`
	ErrorCodes             map[string]int `json:"error_codes_seen"`
	MetadataThroughputLoss float64        `json:"metadata_10_keys_throughput_loss"`
	ContextTransferUs      float64        `json:"context_transfer_us_per_request"`
	ContextBytesGo         float64        `json:"context_bytes_per_request_go"`
	ContextBytesRust       float64        `json:"context_bytes_per_request_rust"`
	ErrorTranslationUs     float64        `json:"error_translation_us_per_error"`
	MetadataRoundTripLoss  float64        `json:"metadata_10_keys_roundtrip_loss"`
}

// StartupFigures holds the exec → ready times, medians (details in summary.startup).
type StartupFigures struct {
	ColdStartMs   float64 `json:"cold_start_ms"`
	WarmStartMs   float64 `json:"warm_start_ms"`
	MemfdStartMs  float64 `json:"memfd_start_ms"`
	NativeStartMs float64 `json:"native_start_ms"`
}

// ExtractFigures holds the costs of extracting and verifying the embedded
// otelcol-rust against their floors (details in summary.extract and summary.sha256).
type ExtractFigures struct {
	ExtractVsFloorRatio     float64 `json:"extract_vs_floor_ratio"`
	WarmVerifyVsSha256Ratio float64 `json:"warm_verify_vs_sha256_ratio"`
	ExtractVsInprocFloor    float64 `json:"extract_vs_inprocess_floor_ratio"`
	BlobCompressionRatio    float64 `json:"blob_compression_ratio"`
	SHA256SimdVsStd         float64 `json:"sha256_simd_vs_std"`
}

// MemoryFigures holds peak RSS (VmHWM) of the load scenarios, MiB.
type MemoryFigures struct {
	RSSMiBHybrid       float64 `json:"rss_mib_hybrid"`
	RSSMiBHybridParent float64 `json:"rss_mib_hybrid_parent"`
	RSSMiBHybridChild  float64 `json:"rss_mib_hybrid_child"`
	RSSMiBNative       float64 `json:"rss_mib_native"`
}

// RustBenchFigures holds what the Rust pipeline bench (rust/otelcol-rust/benches) reported.
type RustBenchFigures struct {
	RustBenchPointsPerCoreS float64 `json:"rust_bench_points_per_core_second"`
	RustBenchFullDecodes    float64 `json:"rust_bench_payload_full_decodes"`
	RustBench               any     `json:"rust_bench,omitempty"`
}

// EmbeddedFigures holds the figures of the embedded build (bin/otelcol-hybrid-embedded; embedded.go).
type EmbeddedFigures struct {
	EmbeddedVsNativeCPU   float64            `json:"embedded_vs_native_cpu_per_item"`
	EmbeddedVsNativeThru  float64            `json:"embedded_vs_native_throughput"`
	EmbeddedStartMs       float64            `json:"embedded_start_ms"`
	FFIContextTransferUs  float64            `json:"ffi_context_transfer_us"`
	FFIErrorTranslationUs float64            `json:"ffi_error_translation_us"`
	FFICancelP99Ms        float64            `json:"ffi_cancel_latency_p99_ms"`
	FFIBytesPerActiveReq  float64            `json:"ffi_go_bytes_per_active_request"`
	FFI                   map[string]float64 `json:"ffi,omitempty"`
}

// OTAPFigures holds the figures of the otap exporter beside otlp_rust on the same data (make bench-otap).
type OTAPFigures struct {
	OTAPVsOTLPWireBytes float64 `json:"otap_vs_otlp_wire_bytes"`
	OTAPVsOTLPCPU       float64 `json:"otap_vs_otlp_cpu_per_item"`
	OTAPBench           any     `json:"otap_bench,omitempty"`
}

func run(args []string) {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	root := fs.String("root", "..", "repository root (bin/, embedbin/)")
	out := fs.String("out", "results", "output directory")
	hybridBin := fs.String("hybrid-bin", "", "otelcol-hybrid to test (default ROOT/bin/otelcol-hybrid)")
	embeddedBin := fs.String("embedded-bin", "", "otelcol-hybrid-embedded to test beside it (empty: no embedded figures)")
	gocol := fs.String("gocol", "", "all-Go collector with contrib filterprocessor")
	extractBench := fs.String("extractbench", "", "extractbench binary")
	rustBench := fs.String("rust-bench-json", "", "file with the Rust bench's one-line JSON (optional)")
	otapBench := fs.String("otap-bench-json", "", "file with the otap bench's one-line JSON (make bench-otap; optional)")
	rustContextErrors := fs.String("rust-context-errors-json", "", "file with the Rust context_errors bench's one-line JSON (optional)")
	dur := fs.Duration("dur", 5*time.Second, "saturation window per combo")
	warm := fs.Duration("warm", 1500*time.Millisecond, "warm-up before each saturation window")
	latDur := fs.Duration("lat", 3*time.Second, "latency window per combo")
	latFrac := fs.Float64("lat-load", 0.3, "latency windows run at this fraction of native's max throughput")
	conc := fs.Int("conc", 8, "concurrent gRPC streams of the load generator")
	rounds := fs.Int("rounds", 2, "rounds of native, hybrid and embedded (ABBA order), for drift")
	startRuns := fs.Int("start-runs", 3, "startup repetitions (median)")
	perfBin := fs.String("perf-bin", "", "unstripped otelcol-hybrid for a perf profile of native and hybrid (empty: no profile)")
	rustBin := fs.String("rust-bin", "", "otelcol-rust to run under perf (OTELCOL_HYBRID_RUST_BIN), for its symbols")
	perfSecs := fs.Int("perf-secs", 4, "perf sampling seconds per profiled scenario")
	perfEmbeddedBin := fs.String("perf-embedded-bin", "", "unstripped otelcol-hybrid-embedded for a perf profile of the embedded scenario (empty: none)")
	only := fs.String("only", "", "comma-separated scenario names (default all)")
	loadOnly := fs.Bool("load-only", false, "run only the load scenarios (no startup, extraction, sha256, context micro-benchmarks): for profiling work")
	_ = fs.Parse(args) // flag.ExitOnError: Parse exits on a bad flag
	t0 := time.Now()
	rootAbs, _ := filepath.Abs(*root)
	if err := os.MkdirAll(*out, 0o755); err != nil {
		panic(err)
	}
	work, err := os.MkdirTemp("", "hybench-")
	if err != nil {
		panic(err)
	}
	if err := os.Chmod(work, 0o700); err != nil {
		panic(err)
	}
	defer func() { _ = os.RemoveAll(work) }()
	bins := map[string]string{"hybrid": filepath.Join(rootAbs, "bin/otelcol-hybrid"), "gocol": *gocol}
	if *hybridBin != "" {
		bins["hybrid"] = *hybridBin
	}
	if *embeddedBin != "" {
		bins["embedded"] = *embeddedBin
	}
	s := summary{Machine: machine(), GeneratedAt: time.Now().UTC(), Headline: "metrics-1000"}
	s.Load = map[string]any{"generator": "hybench pre-encoded OTLP/gRPC (raw codec)", "concurrency": *conc,
		"saturation_window_s": dur.Seconds(), "warmup_s": warm.Seconds(), "latency_window_s": latDur.Seconds(),
		"latency_load_fraction_of_native": *latFrac, "combos": comboList, "rounds_native_hybrid": *rounds}
	logf("machine: %d CPUs %q kernel %s load %s", s.Machine.Nproc, s.Machine.CPUModel, s.Machine.Kernel, s.Machine.LoadBefore)

	ctx := context.Background()
	sk, err := newSink()
	if err != nil {
		panic(err)
	}
	defer sk.stop()

	want := map[string]bool{}
	for _, n := range strings.Split(*only, ",") {
		if n != "" {
			want[n] = true
		}
	}
	all := scenarios()
	byName := map[string]scenario{}
	for _, sc := range all {
		byName[sc.Name] = sc
	}
	// Order: native, hybrid, embedded, the rest, then (rounds ≥ 2) embedded,
	// hybrid, native again, so slow drift of a shared machine hits both sides
	// of the two ratios to native that are targets.
	order := []string{"native", "hybrid", "embedded", "go_half", "rust_pipeline", "filter_go", "filter_hybrid", "native_batch", "go_rust_go", "hybrid_md", "rust_md", "hybrid_err"}
	for r := 2; r <= *rounds; r++ {
		if r%2 == 0 {
			order = append(order, "embedded", "hybrid", "native")
		} else {
			order = append(order, "native", "hybrid", "embedded")
		}
	}
	latRate := map[string]float64{}
	lc := loadCfg{conc: *conc, warm: *warm, dur: *dur, latDur: *latDur, latFraction: *latFrac}
	roundOf := map[string]int{}
	for _, name := range order {
		if len(want) > 0 && !want[name] {
			continue
		}
		sc := byName[name]
		if sc.Bin == "embedded" && bins["embedded"] == "" {
			continue // no -embedded-bin: the embedded figures read as missing
		}
		if sc.Bin == "gocol" && *gocol == "" {
			s.Errors = append(s.Errors, name+": no -gocol binary")
			continue
		}
		roundOf[name]++
		logf("scenario %s (round %d): %s", name, roundOf[name], sc.Title)
		r := runScenario(ctx, sc, roundOf[name], bins, work, sk, lc, latRate)
		if r.Error != "" {
			logf("scenario %s FAILED: %s", name, r.Error)
			s.Errors = append(s.Errors, name+": "+firstLines(r.Error, 12))
		}
		s.Scenarios = append(s.Scenarios, r)
		if name == "native" && roundOf[name] == 1 && r.Error != "" {
			logf("native baseline failed; later ratios will be missing")
		}
	}

	if *perfBin != "" {
		if _, err := exec.LookPath("perf"); err == nil {
			for _, name := range []string{"native", "hybrid"} {
				logf("perf: profiling %s (not part of any measured window)", name)
				s.Perf = append(s.Perf, profile(byName[name], *perfBin, *rustBin, work, *out, sk, lc, *perfSecs))
			}
		}
	}
	if sc, ok := byName["embedded"]; ok && *perfEmbeddedBin != "" {
		if _, err := exec.LookPath("perf"); err == nil {
			logf("perf: profiling embedded (not part of any measured window)")
			s.Perf = append(s.Perf, profile(sc, *perfEmbeddedBin, "", work, *out, sk, lc, *perfSecs))
		}
	}
	if !*loadOnly {
		logf("startup: %d runs each of all-Go, cold disk, warm disk, memfd", *startRuns)
		s.Startup = measureStartup(bins, work, sk, *startRuns)
		if s.Startup.Error != "" {
			s.Errors = append(s.Errors, "startup: "+firstLines(s.Startup.Error, 12))
		}
		logf("startup: native %.1f ms, cold disk %.1f ms, warm disk %.1f ms, memfd %.1f ms",
			s.Startup.NativeMs, s.Startup.ColdDiskMs, s.Startup.WarmDiskMs, s.Startup.MemfdMs)

		key := "linux_amd64"
		if runtime.GOARCH != "amd64" {
			key = "linux_" + runtime.GOARCH
		}
		blob := filepath.Join(rootAbs, "embedbin/blobs", key, "otelcol-rust.zst")
		man := filepath.Join(rootAbs, "embedbin/blobs", key, "manifest.json")
		if *extractBench != "" {
			logf("extraction: extract.Executable vs zstd -d | sha256sum on %s", blob)
			s.Extract = measureExtract(*extractBench, blob, man, work, 5)
			if s.Extract.Error != "" {
				s.Errors = append(s.Errors, "extract: "+s.Extract.Error)
			}
		} else {
			nan := math.NaN()
			s.Extract = extractResult{ColdExtractMs: nan, WarmVerifyMs: nan, MemfdExtractMs: nan, InprocFloorMs: nan, FloorZstdShaMs: nan, FloorSha256Ms: nan, FloorTrueMs: nan}
			s.Errors = append(s.Errors, "extract: extractbench not built (extract package did not compile?)")
		}
		s.EmbeddedStartMs, s.FFIContextTransferUs, s.FFIErrorTranslationUs, s.FFICancelP99Ms, s.FFIBytesPerActiveReq =
			math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()
		if bins["embedded"] != "" {
			logf("embedded: start-up and the FFI crossing's costs")
			if ms, err := measureEmbeddedStart(bins["embedded"], work, sk, *startRuns); err != nil {
				s.Errors = append(s.Errors, "embedded start: "+firstLines(err.Error(), 12))
			} else {
				s.EmbeddedStartMs = ms
			}
			if f, err := ffiFigures(rootAbs, work); err != nil {
				s.Errors = append(s.Errors, "ffi figures: "+firstLines(err.Error(), 12))
			} else {
				s.FFI = f
				s.FFIContextTransferUs, s.FFIErrorTranslationUs = f["ffi_context_transfer_us"], f["ffi_error_translation_us"]
				s.FFICancelP99Ms, s.FFIBytesPerActiveReq = f["ffi_cancel_latency_p99_ms"], f["ffi_go_bytes_per_active_req"]
			}
		}
		logf("sha256: crypto/sha256 vs minio/sha256-simd on 20 MiB")
		s.SHA256 = measureSHA()
		logf("context costs: context transfer and error translation micro-benchmarks (Go: extension/bridgectxext; Rust: otelcol-core context_errors)")
		s.ContextCosts = measureContextCosts(rootAbs, *rustContextErrors)
		if s.ContextCosts.Error != "" {
			s.Errors = append(s.Errors, "context costs: "+firstLines(s.ContextCosts.Error, 12))
		}
	} else {
		// Skipped, not zero: a missing figure must read as missing (and
		// fail bench-check), never as a perfect 0 ms.
		nan := math.NaN()
		s.Startup = startupResult{NativeMs: nan, ColdDiskMs: nan, WarmDiskMs: nan, MemfdMs: nan}
		s.Errors = append(s.Errors, "startup, extraction, sha256 and context micro-benchmarks skipped (-load-only)")
	}
	if *rustBench != "" {
		if b, err := os.ReadFile(*rustBench); err == nil {
			var v any
			line := lastJSONLine(string(b))
			if json.Unmarshal([]byte(line), &v) == nil {
				s.RustBench = v
			} else {
				s.Errors = append(s.Errors, "rust bench: no JSON line in "+*rustBench)
			}
		} else {
			s.Errors = append(s.Errors, "rust bench: no result (see bench/results/rust_bench.stderr)")
		}
	}
	s.OTAPVsOTLPWireBytes, s.OTAPVsOTLPCPU = math.NaN(), math.NaN()
	if *otapBench != "" {
		if b, err := os.ReadFile(*otapBench); err == nil {
			var v map[string]any
			if json.Unmarshal([]byte(lastJSONLine(string(b))), &v) == nil {
				s.OTAPBench = v
				if f, ok := v["otap_vs_otlp_wire_bytes"].(float64); ok {
					s.OTAPVsOTLPWireBytes = f
				}
				if f, ok := v["otap_vs_otlp_cpu"].(float64); ok {
					s.OTAPVsOTLPCPU = f
				}
			} else {
				s.Errors = append(s.Errors, "otap bench: no JSON line in "+*otapBench)
			}
		} else {
			s.Errors = append(s.Errors, "otap bench: no result (make bench-otap failed?)")
		}
	}
	s.Machine.LoadAfter = loadavg()
	derive(&s)
	s.RuntimeSec = time.Since(t0).Seconds()
	b, err := json.MarshalIndent(jsonTree(reflect.ValueOf(s)), "", "  ")
	if err != nil {
		panic(err)
	}
	if err := os.WriteFile(filepath.Join(*out, "summary.json"), append(b, '\n'), 0o644); err != nil {
		panic(err)
	}
	charts(&s, *out)
	if err := os.WriteFile(filepath.Join(*out, "REPORT.md"), []byte(report(&s)), 0o644); err != nil {
		panic(err)
	}
	logf("wrote %s/summary.json, REPORT.md, throughput.png, cpu.png in %.0f s", *out, s.RuntimeSec)
}

func firstLines(s string, n int) string {
	l := strings.Split(s, "\n")
	if len(l) > n {
		l = l[:n]
	}
	return strings.Join(l, "\n")
}

func lastJSONLine(s string) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	for i := len(l) - 1; i >= 0; i-- {
		if t := strings.TrimSpace(l[i]); strings.HasPrefix(t, "{") {
			return t
		}
	}
	return ""
}

// agg averages a scenario's combo over its rounds.
type agg struct {
	thr, cpu, cpuP, cpuC, cpuB, p50, p99, util, butil, sinkThr float64
	n                                                          int
}

func aggregate(s *summary) map[string]map[string]*agg {
	out := map[string]map[string]*agg{}
	for _, sc := range s.Scenarios {
		for _, c := range sc.Combos {
			if out[sc.Name] == nil {
				out[sc.Name] = map[string]*agg{}
			}
			a := out[sc.Name][c.Combo]
			if a == nil {
				a = &agg{}
				out[sc.Name][c.Combo] = a
			}
			a.thr += c.ItemsPerSec
			a.sinkThr += c.SinkItemsPerSec
			a.cpu += c.CPUSecPerM
			a.cpuP += c.CPUParentSec
			a.cpuC += c.CPUChildSec
			a.cpuB += c.CPUBenchSecPerM
			a.p50 += c.P50ms
			a.p99 += c.P99ms
			a.util += c.CPUUtil
			a.butil += c.BenchUtil
			a.n++
		}
	}
	for _, m := range out {
		for _, a := range m {
			f := float64(a.n)
			a.thr, a.sinkThr, a.cpu, a.cpuP, a.cpuC, a.cpuB, a.p50, a.p99, a.util, a.butil =
				a.thr/f, a.sinkThr/f, a.cpu/f, a.cpuP/f, a.cpuC/f, a.cpuB/f, a.p50/f, a.p99/f, a.util/f, a.butil/f
		}
	}
	return out
}

func ratio(a, b float64) float64 {
	if b == 0 || math.IsNaN(a) || math.IsNaN(b) {
		return math.NaN()
	}
	return a / b
}

func derive(s *summary) {
	ag := aggregate(s)
	get := func(sc, c string) *agg {
		if m := ag[sc]; m != nil && m[c] != nil {
			return m[c]
		}
		return &agg{thr: math.NaN(), cpu: math.NaN(), p50: math.NaN(), p99: math.NaN()}
	}
	h := s.Headline
	s.HybridVsNativeThroughput = ratio(get("hybrid", h).thr, get("native", h).thr)
	s.HybridVsNativeCPUPerItem = ratio(get("hybrid", h).cpu, get("native", h).cpu)
	s.HybridVsNativeCPUNorm = ratio(get("native", h).cpu, get("hybrid", h).cpu)
	s.HybridVsNativeCoresBusy = ratio(get("hybrid", h).util, get("native", h).util)
	s.FilterHybridVsGoThru = ratio(get("filter_hybrid", h).thr, get("filter_go", h).thr)
	s.FilterHybridVsGoCPU = ratio(get("filter_hybrid", h).cpu, get("filter_go", h).cpu)
	s.GoRustGoVsNativeBatch = ratio(get("go_rust_go", h).thr, get("native_batch", h).thr)
	s.GoRustGoVsNativeCPU = ratio(get("go_rust_go", h).cpu, get("native_batch", h).cpu)
	s.GoHalfVsNativeCPU = ratio(get("go_half", h).cpu, get("native", h).cpu)
	s.EmbeddedVsNativeCPU = ratio(get("embedded", h).cpu, get("native", h).cpu)
	s.EmbeddedVsNativeThru = ratio(get("embedded", h).thr, get("native", h).thr)
	s.RustPipelineVsNative = ratio(get("rust_pipeline", h).thr, get("native", h).thr)
	s.RustPipelineVsNativeCPU = ratio(get("rust_pipeline", h).cpu, get("native", h).cpu)
	s.ContextCPUusPerReq = (get("hybrid_md", h+"-md10").cpu - get("hybrid_md", h+"-md0").cpu) * 1000
	s.ContextP50AddedMs = get("hybrid_md", h+"-md10").p50 - get("hybrid_md", h+"-md0").p50
	s.ErrorRTTp50Ms, s.OKRTTp50Ms, s.ErrorVsOKRTTp50Ms = math.NaN(), math.NaN(), math.NaN()
	for _, sc := range s.Scenarios {
		if sc.Name == "hybrid_err" && len(sc.Combos) > 0 {
			c := sc.Combos[0]
			s.ErrorRTTp50Ms, s.OKRTTp50Ms, s.ErrorVsOKRTTp50Ms = c.ClientErrp50ms, c.ClientOKp50ms, c.ClientErrp50ms-c.ClientOKp50ms
			s.ErrorCodes = c.ErrorCodes
		}
	}
	s.MetadataKeysAtSink = math.NaN()
	for _, sc := range s.Scenarios {
		for _, c := range sc.Combos {
			if sc.Name == "hybrid_md" && strings.HasSuffix(c.Combo, "-md10") {
				s.MetadataKeysAtSink = c.MDKeysAtSink
			}
		}
	}
	s.BridgeP50LatencyMs = get("hybrid", h).p50 - get("native", h).p50
	s.BridgeP99LatencyMs = get("hybrid", h).p99 - get("native", h).p99
	s.MetadataThroughputLoss = 1 - ratio(get("hybrid_md", h+"-md10").thr, get("hybrid_md", h+"-md0").thr)
	s.ContextTransferUs, s.ContextBytesGo, s.ContextBytesRust, s.ErrorTranslationUs, s.MetadataRoundTripLoss = contextCostFigures(s.ContextCosts)
	s.PerCombo = map[string]map[string]float64{}
	for _, c := range comboList {
		s.PerCombo[c] = map[string]float64{
			"hybrid_vs_native_throughput":    ratio(get("hybrid", c).thr, get("native", c).thr),
			"hybrid_vs_native_cpu_per_item":  ratio(get("hybrid", c).cpu, get("native", c).cpu),
			"filter_hybrid_vs_go_throughput": ratio(get("filter_hybrid", c).thr, get("filter_go", c).thr),
			"go_rust_go_vs_native_batch":     ratio(get("go_rust_go", c).thr, get("native_batch", c).thr),
			"rust_pipeline_vs_native":        ratio(get("rust_pipeline", c).thr, get("native", c).thr),
			"bridge_p99_added_ms":            get("hybrid", c).p99 - get("native", c).p99,
		}
	}
	s.ColdStartMs, s.WarmStartMs, s.MemfdStartMs, s.NativeStartMs = s.Startup.ColdDiskMs, s.Startup.WarmDiskMs, s.Startup.MemfdMs, s.Startup.NativeMs
	s.ExtractVsFloorRatio = ratio(s.Extract.ColdExtractMs, s.Extract.FloorZstdShaMs)
	s.WarmVerifyVsSha256Ratio = ratio(s.Extract.WarmVerifyMs, s.Extract.FloorSha256Ms)
	s.ExtractVsInprocFloor = ratio(s.Extract.ColdExtractMs, s.Extract.InprocFloorMs)
	s.BlobCompressionRatio = ratio(float64(s.Extract.RawSize), float64(s.Extract.CompressedSize))
	for _, sc := range s.Scenarios {
		switch sc.Name {
		case "hybrid":
			s.RSSMiBHybrid = math.Max(s.RSSMiBHybrid, sc.RSSParent+sc.RSSChild)
			s.RSSMiBHybridParent = math.Max(s.RSSMiBHybridParent, sc.RSSParent)
			s.RSSMiBHybridChild = math.Max(s.RSSMiBHybridChild, sc.RSSChild)
		case "native":
			s.RSSMiBNative = math.Max(s.RSSMiBNative, sc.RSSParent+sc.RSSChild)
		}
	}
	s.SHA256SimdVsStd = s.SHA256.SimdVsStd
	s.RustBenchPointsPerCoreS = math.NaN()
	if rb, ok := s.RustBench.(map[string]any); ok {
		if v, ok := rb["points_per_core_second"].(float64); ok {
			s.RustBenchPointsPerCoreS = v
		}
	}
	// How often the Rust data plane decoded a whole payload into owned types
	// during its bench (0 is the goal on a filter pipeline); missing when
	// the Rust bench does not report it.
	s.RustBenchFullDecodes = math.NaN()
	if rb, ok := s.RustBench.(map[string]any); ok {
		for _, k := range []string{"full_decodes", "payload_full_decodes"} {
			if v, ok := rb[k].(float64); ok {
				s.RustBenchFullDecodes = v
				break
			}
		}
	}
}

// jsonTree turns v into maps/slices with NaN/Inf floats as null (JSON
// cannot carry NaN; a missing figure must read as missing, never as 0).
func jsonTree(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return jsonTree(v.Elem())
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil
		}
		return f
	case reflect.Struct:
		if t, ok := v.Interface().(time.Time); ok {
			return t
		}
		m := map[string]any{}
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			if f.Anonymous && f.IsExported() && f.Type.Kind() == reflect.Struct && f.Tag.Get("json") == "" {
				// An area of figures: its keys sit at this level, as
				// encoding/json flattens embedded structs.
				inner, _ := jsonTree(v.Field(i)).(map[string]any)
				for k, x := range inner {
					m[k] = x
				}
				continue
			}
			if !f.IsExported() {
				continue
			}
			tag := f.Tag.Get("json")
			name, opts, _ := strings.Cut(tag, ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if strings.Contains(opts, "omitempty") && v.Field(i).IsZero() {
				continue
			}
			m[name] = jsonTree(v.Field(i))
		}
		return m
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return nil
		}
		out := make([]any, v.Len())
		for i := range out {
			out[i] = jsonTree(v.Index(i))
		}
		return out
	case reflect.Map:
		m := map[string]any{}
		for _, k := range v.MapKeys() {
			m[fmt.Sprint(k.Interface())] = jsonTree(v.MapIndex(k))
		}
		return m
	}
	return v.Interface()
}

// rerender rewrites REPORT.md and the charts from an existing summary.json
// (e.g. after editing NOTES.md), without measuring anything.
func rerender(args []string) {
	fs := flag.NewFlagSet("report", flag.ExitOnError)
	path := fs.String("summary", "results/summary.json", "summary.json")
	out := fs.String("out", "results", "output directory")
	_ = fs.Parse(args) // flag.ExitOnError: Parse exits on a bad flag
	b, err := os.ReadFile(*path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var s summary
	if err := json.Unmarshal(b, &s); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	charts(&s, *out)
	if err := os.WriteFile(filepath.Join(*out, "REPORT.md"), []byte(report(&s)), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	logf("re-rendered %s/REPORT.md and charts from %s", *out, *path)
}

// ------------------------------------------------------------------ check

func check(args []string) int {
	fs := flag.NewFlagSet("check", flag.ExitOnError)
	path := fs.String("summary", "results/summary.json", "summary.json")
	_ = fs.Parse(args) // flag.ExitOnError: Parse exits on a bad flag
	b, err := os.ReadFile(*path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench-check: %v (run `make bench` first)\n", err)
		return 2
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		fmt.Fprintf(os.Stderr, "bench-check: %s: %v\n", *path, err)
		return 2
	}
	failed := 0
	for _, t := range targets {
		v, ok := t.value(m)
		status := "ok  "
		if !ok || !t.met(v) {
			status = "MISS"
			failed++
		}
		val := "missing"
		if ok {
			val = fmt.Sprintf("%.3f", v)
		}
		fmt.Printf("%s %-38s %10s  (target %s %g)\n", status, t.key, val, t.op(), t.lim)
	}
	if failed > 0 {
		fmt.Printf("bench-check: %d of %d targets missed (see bench/results/REPORT.md)\n", failed, len(targets))
		return 1
	}
	fmt.Println("bench-check: all targets met")
	return 0
}
