package collector

import (
	"fmt"
	"strings"
	"testing"
)

// A config with a few hundred components: the converter replaces the whole
// config with its Go half, and doing that key by key was quadratic in the
// number of settings (0.6 s of every start at 900 settings).
func BenchmarkConverterLargeConfig(b *testing.B) {
	var cfg strings.Builder
	cfg.WriteString("receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:0\nprocessors:\n  advanced_filter:\n    drop_metrics: [x]\nexporters:\n")
	var ids []string
	for i := range 300 {
		fmt.Fprintf(&cfg, "  debug/%d:\n    verbosity: basic\n    sampling_initial: 2\n    sampling_thereafter: 100\n", i)
		ids = append(ids, fmt.Sprintf("debug/%d", i))
	}
	fmt.Fprintf(&cfg, "service:\n  pipelines:\n    metrics:\n      receivers: [otlp]\n      processors: [advanced_filter]\n      exporters: [%s]\n", strings.Join(ids, ", "))
	for b.Loop() {
		half, err := convert(b, cfg.String())
		if err != nil {
			b.Fatal(err)
		}
		if exps, _ := half["exporters"].(map[string]any); len(exps) < 300 {
			b.Fatalf("the Go half has %d exporters, want the user's 300 and the bridge's", len(exps))
		}
	}
}
