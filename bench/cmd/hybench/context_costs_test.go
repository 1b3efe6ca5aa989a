package main

import (
	"math"
	"testing"
)

func TestContextCostFiguresFromGoBenchOutput(t *testing.T) {
	out := `goos: linux
BenchmarkInterceptor/keys=0-2         	 2897752	       445.9 ns/op	     192 B/op	       6 allocs/op
BenchmarkInterceptor/keys=10-2        	  919245	      1253 ns/op	     352 B/op	      16 allocs/op
BenchmarkInterceptor/keys=10-2        	  919245	      1300 ns/op	     352 B/op	      16 allocs/op
BenchmarkInterceptor/keys=10-2        	  919245	      9999 ns/op	     352 B/op	      16 allocs/op
BenchmarkBridgeRoundTrip/keys=0-2     	   12753	     90000 ns/op	   31577 B/op	     684 allocs/op
BenchmarkBridgeRoundTrip/keys=10-2    	   12316	    100000 ns/op	   35439 B/op	     706 allocs/op
BenchmarkErrorTranslation-2           	 1206058	      1000 ns/op	     608 B/op	      15 allocs/op
PASS`
	ns, by := parseGoBench(out)
	p := contextCostResult{GoNs: map[string]float64{}, GoBytes: map[string]float64{},
		Rust: map[string]float64{"context_decode_ns_keys10": 700, "context_bytes_keys10": 900, "error_to_status_ns": 500}}
	for k, v := range ns {
		p.GoNs[k] = median(v)
	}
	for k, v := range by {
		p.GoBytes[k] = median(v)
	}
	ctxUs, goB, rustB, errUs, loss := contextCostFigures(p)
	for name, c := range map[string][2]float64{
		"context µs (median 1300 + 700 ns)": {ctxUs, 2.0}, "go bytes": {goB, 352}, "rust bytes": {rustB, 900},
		"error µs": {errUs, 1.5}, "roundtrip loss": {loss, 0.1},
	} {
		if math.Abs(c[0]-c[1]) > 1e-9 {
			t.Errorf("%s = %v, want %v", name, c[0], c[1])
		}
	}
	delete(p.Rust, "error_to_status_ns")
	if _, _, _, errUs, _ := contextCostFigures(p); !math.IsNaN(errUs) {
		t.Errorf("a missing Rust figure must leave the sum missing, got %v", errUs)
	}
}
