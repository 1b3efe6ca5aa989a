package e2e

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-hybrid/otelcol-hybrid/internal/testkit"
)

// TestQuickstartShowsEverySurvivingPoint runs examples/quickstart.yaml (what
// `make run` runs; only its port is changed) and does what the README says:
// telemetrygen sends `up` and `requests_total`; every requests_total point
// must show in the Rust debug output, and no `up` point.
func TestQuickstartShowsEverySurvivingPoint(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../examples/quickstart.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.ReplaceAll(string(raw), "localhost:4317", bindIP(grpcIP))
	if cfg == string(raw) {
		t.Fatal("examples/quickstart.yaml no longer listens on localhost:4317; update this test")
	}
	h := startHybrid(t, cfg, hybridOpts{})
	h.waitReady()
	in := h.listenAddr(grpcIP)
	tg := testkit.Binary(t, "TELEMETRYGEN_BIN")
	const n = 150 // well past the default log sampling (10 a second, then 1 in 100)
	for _, name := range []string{"up", "requests_total"} {
		run(t, 2*time.Minute, tg, "metrics", "--otlp-endpoint", in, "--otlp-insecure", "--metrics", strconv.Itoa(n), "--rate", "0", "--otlp-metric-name", name)
	}
	count := func(name string) int {
		c := 0
		for _, l := range strings.Split(h.out.String(), "\n") {
			if strings.Contains(l, "\trust\t") && strings.Contains(l, `"metric": "`+name+`"`) {
				c++
			}
		}
		return c
	}
	testkit.Eventually(t, 20*time.Second, "every requests_total point in the Rust debug output", func() bool { return count("requests_total") == n })
	if c := count("up"); c != 0 {
		t.Fatalf("%d `up` points reached rust_debug; advanced_filter should drop them", c)
	}
}
