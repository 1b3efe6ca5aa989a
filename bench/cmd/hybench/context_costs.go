package main

// The per-request costs of carrying context and errors across the bridge,
// measured per request rather than as the
// difference of two noisy end-to-end CPU figures: Go's side with the
// extension/bridgectxext micro-benchmarks (`go test -bench`, median of 3),
// Rust's side with otelcol-core's context_errors bench (one JSON line).
// Targets: context transfer < 100 µs, < 1 KiB per active context,
// error translation < 10 µs per error, metadata propagation < 5 % loss.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
)

type contextCostResult struct {
	// Go: ns/op and B/op of each benchmark (name without the -N suffix).
	GoNs    map[string]float64 `json:"go_ns_per_op"`
	GoBytes map[string]float64 `json:"go_bytes_per_op"`
	// Rust: the context_errors bench's figures as printed.
	Rust  map[string]float64 `json:"rust"`
	Error string             `json:"error,omitempty"`
}

const contextCostGoBenchPattern = "Interceptor|BridgeRoundTrip|ErrorTranslation"

func measureContextCosts(root, rustJSON string) contextCostResult {
	r := contextCostResult{GoNs: map[string]float64{}, GoBytes: map[string]float64{}, Rust: map[string]float64{}}
	cmd := exec.Command("go", "test", "-run", "^$", "-bench", contextCostGoBenchPattern, "-benchmem", "-count", "3", "./extension/bridgectxext/")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		r.Error = fmt.Sprintf("go test -bench: %v: %s%s", err, out, stderr.String())
		return r
	}
	ns, by := parseGoBench(string(out))
	for k, v := range ns {
		r.GoNs[k] = median(v)
	}
	for k, v := range by {
		r.GoBytes[k] = median(v)
	}
	if rustJSON != "" {
		b, err := os.ReadFile(rustJSON)
		if err != nil {
			r.Error = "rust context_errors bench: no result (see bench/results/rust_context_errors.stderr)"
			return r
		}
		if err := json.Unmarshal([]byte(lastJSONLine(string(b))), &r.Rust); err != nil {
			r.Error = "rust context_errors bench: no JSON line in " + rustJSON
		}
	}
	return r
}

// parseGoBench reads `BenchmarkName/sub-N  iters  X ns/op  Y B/op  Z allocs/op` lines.
func parseGoBench(out string) (ns, bytesPerOp map[string][]float64) {
	ns, bytesPerOp = map[string][]float64{}, map[string][]float64{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := strings.TrimPrefix(f[0], "Benchmark")
		if i := strings.LastIndex(name, "-"); i > 0 {
			name = name[:i]
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			switch f[i+1] {
			case "ns/op":
				ns[name] = append(ns[name], v)
			case "B/op":
				bytesPerOp[name] = append(bytesPerOp[name], v)
			}
		}
	}
	return ns, bytesPerOp
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s) == 0 {
		return nan()
	}
	return s[len(s)/2]
}

// contextCostFigures derives the summary keys from the raw figures; missing
// inputs give NaN (reported as missing, failing bench-check).
func contextCostFigures(p contextCostResult) (ctxUs, goBytes, rustBytes, errUs, rtLoss float64) {
	get := func(m map[string]float64, k string) float64 {
		if v, ok := m[k]; ok {
			return v
		}
		return nan()
	}
	ctxUs = (get(p.GoNs, "Interceptor/keys=10") + get(p.Rust, "context_decode_ns_keys10")) / 1000
	goBytes = get(p.GoBytes, "Interceptor/keys=10")
	rustBytes = get(p.Rust, "context_bytes_keys10")
	errUs = (get(p.GoNs, "ErrorTranslation") + get(p.Rust, "error_to_status_ns")) / 1000
	rtLoss = 1 - get(p.GoNs, "BridgeRoundTrip/keys=0")/get(p.GoNs, "BridgeRoundTrip/keys=10")
	return
}

func nan() float64 { return math.NaN() }
