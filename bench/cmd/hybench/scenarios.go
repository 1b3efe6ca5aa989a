package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"google.golang.org/grpc/metadata"
)

// scenario is one collector configuration under load.
type scenario struct {
	Name      string // key in summary.json
	Title     string // for the report
	Bin       string // "hybrid" (bin/otelcol-hybrid), "embedded" (bin/otelcol-hybrid-embedded) or "gocol" (all-Go with contrib filter)
	Config    func(recv, sink string) string
	Combos    []string // load combos; nil = all
	Metadata  bool     // also run metrics-1000 with 10 gRPC metadata keys
	PacedOnly bool     // only the fixed-rate window (error scenario)
	KeptFrac  float64  // fraction of input items that reach the sink
	// GoHalfOnly runs only the Go half the partitioner makes of Config, its
	// bridge exporters aimed at the sink: what a crossing costs Go alone.
	GoHalfOnly bool
}

const goRecv = `receivers:
  otlp:
    protocols:
      grpc:
        endpoint: %s
        max_recv_msg_size_mib: 64
        include_metadata: %t
`

// placementOff keeps the Go otlp receiver in Go, so that the scenario measures
// the bridge; by default the partitioner would run it in the Rust half.
const placementOff = "extensions:\n  rust_subprocess:\n    receiver_placement: false\n"

const telemetryNone = `  telemetry:
    metrics:
      level: none
    logs:
      level: info
`

// sinkExporter is exporter name (otlp_grpc or otlp_rust) aimed at the sink,
// synchronous (no sending queue, no retry, no gzip) so that the Go and the
// Rust exporter apply backpressure the same way.
func sinkExporter(name, sink string) string {
	return fmt.Sprintf(`  %s:
    endpoint: %s
    tls:
      insecure: true
    compression: none
    timeout: 30s
    sending_queue:
      enabled: false
    retry_on_failure:
      enabled: false
`, name, sink)
}

// advancedFilter is the Rust advanced_filter dropping the metric and span
// names in list (a YAML flow list), under "processors:".
func advancedFilter(list string) string {
	return "processors:\n  advanced_filter:\n    drop_metrics: " + list + "\n    drop_spans: " + list + "\n"
}

// rustRecv is goRecv as the Rust rust_otlp receiver, which has no
// include_metadata.
func rustRecv(recv string) string {
	cfg := strings.Replace(fmt.Sprintf(goRecv, recv, false), "  otlp:\n", "  rust_otlp:\n", 1)
	return strings.Replace(cfg, "        include_metadata: false\n", "", 1)
}

func pipelines(procs, exporter string) string {
	var b strings.Builder
	b.WriteString("service:\n" + telemetryNone + "  pipelines:\n")
	for _, sig := range []string{"metrics", "traces"} {
		fmt.Fprintf(&b, "    %s:\n      receivers: [otlp]\n      processors: [%s]\n      exporters: [%s]\n", sig, procs, exporter)
	}
	return b.String()
}

func quoteList(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func scenarios() []scenario {
	noMatch := quoteList([]string{"bench.nomatch"})
	drop := quoteList(dropNames())
	// Scenario 2, which 2a and 2c run too.
	hybrid := func(recv, sink string) string {
		return placementOff + fmt.Sprintf(goRecv, recv, false) + advancedFilter(noMatch) +
			"exporters:\n" + sinkExporter("otlp_rust/sink", sink) + pipelines("advanced_filter", "otlp_rust/sink")
	}
	return []scenario{
		{
			Name: "native", Title: "1 native: Go otlp → Go OTLP exporter → sink", Bin: "hybrid", KeptFrac: 1,
			Config: func(recv, sink string) string {
				return fmt.Sprintf(goRecv, recv, false) + "processors: {}\nexporters:\n" + sinkExporter("otlp_grpc/sink", sink) +
					strings.ReplaceAll(pipelines("", "otlp_grpc/sink"), "      processors: []\n", "")
			},
		},
		{
			Name: "hybrid", Title: "2 hybrid pass-through: Go otlp → bridge → Rust advanced_filter (matches nothing) → otlp_rust → sink (receiver placement off)", Bin: "hybrid", KeptFrac: 1,
			Config: hybrid,
		},
		{
			Name: "go_half", Title: "2a the Go half of scenario 2 alone: Go otlp → bridge_cancel → otlp_grpc/bridge_N (bridge_context, as partitioned) aimed at the sink", Bin: "hybrid", KeptFrac: 1,
			GoHalfOnly: true,
			Config:     hybrid,
		},
		{
			Name: "rust_pipeline", Title: "2b all-Rust: rust_otlp receiver → advanced_filter (matches nothing) → otlp_rust → sink (no bridge; the Go parent only supervises)", Bin: "hybrid", KeptFrac: 1,
			Config: func(recv, sink string) string {
				return rustRecv(recv) +
					advancedFilter(noMatch) +
					"exporters:\n" + sinkExporter("otlp_rust/sink", sink) +
					strings.ReplaceAll(pipelines("advanced_filter", "otlp_rust/sink"), "[otlp]", "[rust_otlp]")
			},
		},
		{
			Name: "filter_go", Title: "3a filter all-Go: Go otlp → contrib filterprocessor (strict names) → Go OTLP exporter → sink", Bin: "gocol", KeptFrac: 0.5,
			Config: func(recv, sink string) string {
				return fmt.Sprintf(goRecv, recv, false) +
					"processors:\n  filter:\n    metrics:\n      exclude:\n        match_type: strict\n        metric_names: " + drop +
					"\n    spans:\n      exclude:\n        match_type: strict\n        span_names: " + drop + "\n" +
					"exporters:\n" + sinkExporter("otlp_grpc/sink", sink) + pipelines("filter", "otlp_grpc/sink")
			},
		},
		{
			Name: "filter_hybrid", Title: "3b filter hybrid: the user's Go otlp receiver → Rust advanced_filter (same names) → otlp_rust → sink; default placement runs the receiver in Rust (no bridge)", Bin: "hybrid", KeptFrac: 0.5,
			Config: func(recv, sink string) string {
				return fmt.Sprintf(goRecv, recv, false) +
					advancedFilter(drop) +
					"exporters:\n" + sinkExporter("otlp_rust/sink", sink) + pipelines("advanced_filter", "otlp_rust/sink")
			},
		},
		{
			Name: "native_batch", Title: "4a baseline for 4: Go otlp → batch → Go OTLP exporter → sink", Bin: "hybrid", KeptFrac: 1,
			Config: func(recv, sink string) string {
				return fmt.Sprintf(goRecv, recv, false) + batchProc +
					"exporters:\n" + sinkExporter("otlp_grpc/sink", sink) + pipelines("batch", "otlp_grpc/sink")
			},
		},
		{
			Name: "go_rust_go", Title: "4b two crossings: Go otlp → bridge → Rust advanced_filter → bridge → Go batch → Go OTLP exporter → sink", Bin: "hybrid", KeptFrac: 1,
			Config: func(recv, sink string) string {
				return placementOff + fmt.Sprintf(goRecv, recv, false) + strings.Replace(batchProc, "processors:\n", advancedFilter(noMatch), 1) +
					"exporters:\n" + sinkExporter("otlp_grpc/sink", sink) + pipelines("advanced_filter, batch", "otlp_grpc/sink")
			},
		},
		{
			Name: "hybrid_md", Title: "5 metadata: scenario 2 with include_metadata, 0 vs 10 gRPC metadata keys per request", Bin: "hybrid", KeptFrac: 1,
			Combos: []string{"metrics-1000"}, Metadata: true,
			Config: func(recv, sink string) string {
				return placementOff + fmt.Sprintf(goRecv, recv, true) +
					advancedFilter(noMatch) +
					"exporters:\n" + sinkExporter("otlp_rust/sink", sink) + "    forward_metadata: " + quoteList(mdKeyNames()) + "\n" + pipelines("advanced_filter", "otlp_rust/sink")
			},
		},
		{
			Name: "hybrid_err", Title: "6 errors: Go otlp → bridge → Rust fault (permanent error on every 2nd request) → otlp_rust → sink, fixed rate: client round trip of failed vs successful requests", Bin: "hybrid", KeptFrac: 1,
			Combos: []string{"metrics-100"}, PacedOnly: true,
			Config: func(recv, sink string) string {
				return placementOff + fmt.Sprintf(goRecv, recv, false) +
					"processors:\n  fault:\n    error: permanent\n    every_nth: 2\n    message: hybench injected\n" +
					"exporters:\n" + sinkExporter("otlp_rust/sink", sink) + pipelines("fault", "otlp_rust/sink")
			},
		},
		{
			Name: "embedded", Title: "2c embedded: scenario 2's config in bin/otelcol-hybrid-embedded: Go otlp → in-process ffi_bridge → Rust advanced_filter → otlp_rust → sink", Bin: "embedded", KeptFrac: 1,
			Config: hybrid,
		},
		{
			Name: "rust_md", Title: "5b metadata, all-Rust (no bridge): rust_otlp → advanced_filter → otlp_rust forward_metadata [the 10 keys], 0 vs 10 keys — tells a bridge loss from an exporter loss", Bin: "hybrid", KeptFrac: 1,
			Combos: []string{"metrics-1000"}, Metadata: true,
			Config: func(recv, sink string) string {
				return rustRecv(recv) +
					advancedFilter(noMatch) +
					"exporters:\n" + sinkExporter("otlp_rust/sink", sink) + "    forward_metadata: " + quoteList(mdKeyNames()) + "\n" +
					strings.ReplaceAll(pipelines("advanced_filter", "otlp_rust/sink"), "[otlp]", "[rust_otlp]")
			},
		},
	}
}

// batchProc: the batch processor with a 10 ms timeout (default 200 ms would
// make every latency figure ~the timeout); default send_batch_size 8192.
const batchProc = "processors:\n  batch:\n    timeout: 10ms\n"

func freePort() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().String()
}

// comboResult is one load combo (signal × batch size) in one scenario.
type comboResult struct {
	Scenario        string         `json:"scenario"`
	Combo           string         `json:"combo"`
	Round           int            `json:"round"`
	ItemsPerSec     float64        `json:"items_per_sec"`      // input items/s processed (sink items / kept fraction)
	SinkItemsPerSec float64        `json:"sink_items_per_sec"` // what reached the sink
	ReqErrors       int64          `json:"req_errors"`         // requests the collector refused during the window
	CPUParentSec    float64        `json:"cpu_parent_sec_per_m"`
	CPUChildSec     float64        `json:"cpu_child_sec_per_m"`
	CPUSecPerM      float64        `json:"cpu_sec_per_million_items"` // parent + child
	CPUBenchSecPerM float64        `json:"cpu_bench_sec_per_million_items"`
	CPUUtil         float64        `json:"collector_cores_busy"` // (parent+child) CPU s / wall s
	BenchUtil       float64        `json:"bench_cores_busy"`     // generator+sink CPU s / wall s
	LatRateItems    float64        `json:"latency_load_items_per_sec"`
	P50ms           float64        `json:"p50_ms"`
	P99ms           float64        `json:"p99_ms"`
	LatSamples      int            `json:"latency_samples"`
	KeptObserved    float64        `json:"kept_fraction_observed"`
	MDKeysAtSink    float64        `json:"metadata_keys_seen_at_sink_per_request"`
	ClientOKp50ms   float64        `json:"client_rtt_ok_p50_ms"`
	ClientOKp99ms   float64        `json:"client_rtt_ok_p99_ms"`
	ClientErrp50ms  float64        `json:"client_rtt_error_p50_ms"`
	ClientErrp99ms  float64        `json:"client_rtt_error_p99_ms"`
	ErrorCodes      map[string]int `json:"error_codes,omitempty"`
}

type scenarioResult struct {
	Name       string        `json:"name"`
	Title      string        `json:"title"`
	Round      int           `json:"round"`
	StartMs    float64       `json:"start_ms"`
	RSSParent  float64       `json:"rss_parent_mib"` // VmHWM
	RSSChild   float64       `json:"rss_child_mib"`  // VmHWM
	ChildComm  string        `json:"child_comm,omitempty"`
	Combos     []comboResult `json:"combos"`
	Error      string        `json:"error,omitempty"`
	LogExcerpt []string      `json:"-"`
}

type loadCfg struct {
	conc        int
	warm, dur   time.Duration
	latDur      time.Duration
	latFraction float64
}

var comboList = []string{"metrics-1000", "metrics-100", "traces-1000", "traces-100"}

func comboBatch(c string) batch {
	switch c {
	case "metrics-1000":
		return buildMetrics(1000)
	case "metrics-100":
		return buildMetrics(100)
	case "traces-1000":
		return buildTraces(1000)
	case "traces-100":
		return buildTraces(100)
	}
	panic(c)
}

func mdKeyNames() []string {
	var k []string
	for i := 0; i < 10; i++ {
		k = append(k, fmt.Sprintf("x-bench-key-%d", i))
	}
	return k
}

// tenKeys: 10 gRPC metadata keys of ~25-byte values. The sink's otlp_rust
// names them in forward_metadata: `["*"]` is taken as a literal key by
// otlp_rust in this build and forwards nothing (see REPORT.md).
func tenKeys() metadata.MD {
	md := metadata.MD{}
	for i, k := range mdKeyNames() {
		md.Set(k, fmt.Sprintf("value-%d-abcdefghijklmnop", i))
	}
	return md
}

// runScenario starts the scenario's collector once and runs each load combo:
// a closed-loop saturation window (throughput, CPU) then an open-loop window
// at a fixed rate (latency). latRate gives the request rate per combo (from
// the native scenario) so latency is compared at equal load.
func runScenario(ctx context.Context, sc scenario, round int, bins map[string]string, work string, sk *sink, lc loadCfg, latRate map[string]float64) scenarioResult {
	res := scenarioResult{Name: sc.Name, Title: sc.Title, Round: round}
	dir, _ := os.MkdirTemp(work, sc.Name+"-")
	recv := freePort()
	cfgPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(sc.Config(recv, sk.addr)), 0o600); err != nil {
		res.Error = err.Error()
		return res
	}
	if sc.GoHalfOnly {
		var err error
		if cfgPath, err = goHalfConfig(bins[sc.Bin], dir, cfgPath, sk.addr); err != nil {
			res.Error = err.Error()
			return res
		}
	}
	env := []string{"OTELCOL_HYBRID_RUNTIME_DIR=" + dir}
	p, err := startCollector(bins[sc.Bin], cfgPath, env, 60*time.Second)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	defer p.stop()
	res.StartMs = float64(p.readyAt) / 1e6
	combos := sc.Combos
	if combos == nil {
		combos = comboList
	}
	type variant struct {
		name string
		md   metadata.MD
	}
	for _, c := range combos {
		vs := []variant{{c, nil}}
		if sc.Metadata {
			vs = []variant{{c + "-md0", nil}, {c + "-md10", tenKeys()}}
		}
		b := comboBatch(c)
		for _, v := range vs {
			cr := comboResult{Scenario: sc.Name, Combo: v.name, Round: round}
			done := make(chan genResult, 1)
			if !sc.PacedOnly {
				logf("  %s/%s: saturating for %s", sc.Name, v.name, lc.dur)
				// Saturation window.
				lctx, cancel := context.WithCancel(ctx)
				go func() { r, _ := generate(lctx, recv, b, lc.conc, 0, v.md); done <- r }()
				sleepCtx(ctx, lc.warm)
				s0, i0 := p.snap(), sk.items.Load()
				sleepCtx(ctx, lc.dur)
				s1, i1 := p.snap(), sk.items.Load()
				cancel()
				g := <-done
				wall := s1.at.Sub(s0.at).Seconds()
				sinkItems := float64(i1 - i0)
				in := sinkItems / sc.KeptFrac
				cr.SinkItemsPerSec = sinkItems / wall
				cr.ItemsPerSec = in / wall
				cr.ReqErrors = g.errReq
				if in > 0 {
					cr.CPUParentSec = (s1.parent - s0.parent) / (in / 1e6)
					cr.CPUChildSec = (s1.child - s0.child) / (in / 1e6)
					cr.CPUSecPerM = cr.CPUParentSec + cr.CPUChildSec
					cr.CPUBenchSecPerM = (s1.self - s0.self) / (in / 1e6)
				}
				cr.CPUUtil = (s1.parent - s0.parent + s1.child - s0.child) / wall
				cr.BenchUtil = (s1.self - s0.self) / wall
				// Let queues drain before the latency window.
				sleepCtx(ctx, 500*time.Millisecond)
			}
			// Latency window at a fixed rate.
			rate := latRate[c]
			if rate == 0 && sc.PacedOnly {
				rate = 200
			}
			if rate == 0 {
				rate = lc.latFraction * cr.ItemsPerSec / float64(b.items)
				latRate[c] = rate
			}
			cr.LatRateItems = rate * float64(b.items)
			sk.takeLatencies()
			lctx, cancel := context.WithCancel(ctx)
			go func() { r, _ := generate(lctx, recv, b, lc.conc, rate, v.md); done <- r }()
			sleepCtx(ctx, 500*time.Millisecond)
			sk.takeLatencies()
			sk.mdReqs.Store(0)
			sk.mdKeys.Store(0)
			li0 := sk.items.Load()
			sk.rec.Store(true)
			sleepCtx(ctx, lc.latDur)
			sk.rec.Store(false)
			li1 := sk.items.Load()
			cancel()
			lg := <-done
			lat := sk.takeLatencies()
			cr.P50ms, cr.P99ms, cr.LatSamples = percentile(lat, 50), percentile(lat, 99), len(lat)
			if r, k := sk.mdReqs.Swap(0), sk.mdKeys.Swap(0); r > 0 {
				cr.MDKeysAtSink = float64(k) / float64(r)
			}
			cr.ClientOKp50ms, cr.ClientOKp99ms = percentile(lg.okRTT, 50), percentile(lg.okRTT, 99)
			cr.ClientErrp50ms, cr.ClientErrp99ms = percentile(lg.errRTT, 50), percentile(lg.errRTT, 99)
			if len(lg.codes) > 0 {
				cr.ErrorCodes = lg.codes
			}
			if lg.okItems > 0 {
				cr.KeptObserved = float64(li1-li0) / (rate * float64(b.items) * lc.latDur.Seconds())
			}
			logf("  %s/%s: %.0f items/s, %.2f CPU s/M (parent %.2f + child %.2f), p50 %.2f ms p99 %.2f ms, errors %d",
				sc.Name, v.name, cr.ItemsPerSec, cr.CPUSecPerM, cr.CPUParentSec, cr.CPUChildSec, cr.P50ms, cr.P99ms, cr.ReqErrors)
			res.Combos = append(res.Combos, cr)
			sleepCtx(ctx, 300*time.Millisecond)
		}
	}
	res.RSSParent = statusKiB(p.pid(), "VmHWM") / 1024
	for _, c := range children(p.pid()) {
		res.RSSChild += statusKiB(c, "VmHWM") / 1024
		res.ChildComm = procComm(c)
	}
	res.LogExcerpt = p.logLines()
	return res
}

// bridgeTarget matches the dial target of a Go bridge exporter in go.yaml.
var bridgeTarget = regexp.MustCompile(`endpoint: unix:///\S+/b[0-9]+\.sock`)

// goHalfConfig runs `partition` on cfg and returns the Go half it wrote, with
// every bridge exporter sending to the sink instead of the Rust child. What
// runs is exactly what the partitioner gives the Go half (receiver settings,
// bridge_cancel, the bridge exporter's queue/retry/timeout, bridge_context).
func goHalfConfig(bin, dir, cfg, sink string) (string, error) {
	out := filepath.Join(dir, "split")
	cmd := exec.Command(bin, "partition", "--config", cfg, "--out", out)
	cmd.Env = append(os.Environ(), "OTELCOL_HYBRID_RUNTIME_DIR="+dir)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("partition: %w: %s", err, b)
	}
	b, err := os.ReadFile(filepath.Join(out, "go.yaml"))
	if err != nil {
		return "", err
	}
	if !bridgeTarget.Match(b) {
		return "", fmt.Errorf("go.yaml has no bridge exporter:\n%s", b)
	}
	p := filepath.Join(dir, "go-half.yaml")
	return p, os.WriteFile(p, bridgeTarget.ReplaceAll(b, []byte("endpoint: "+sink)), 0o600)
}
