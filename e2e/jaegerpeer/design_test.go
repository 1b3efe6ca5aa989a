package jaegerpeer

import (
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-hybrid/otelcol-hybrid/e2e/otappeer"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

func metricNames(all []pmetric.Metrics) map[string]int {
	out := map[string]int{}
	for _, md := range all {
		for i := 0; i < md.ResourceMetrics().Len(); i++ {
			sms := md.ResourceMetrics().At(i).ScopeMetrics()
			for j := 0; j < sms.Len(); j++ {
				for k := 0; k < sms.At(j).Metrics().Len(); k++ {
					out[sms.At(j).Metrics().At(k).Name()]++
				}
			}
		}
	}
	return out
}

// The design's user config, run as written by the design's distribution:
// prometheus scrapes the collector's own telemetry on localhost:8888, the
// Rust advanced_filter drops `up` and `scrape_*`, and the Rust otap exporter
// streams the rest as Arrow to the otel-arrow project's own decoder. Test
// layers on top of the file only point otap at the test peer (TLS with the
// peer's CA) and scrape every second instead of every minute.
func TestDesignConfigDeliversTheCollectorsOwnSeriesOverOTAP(t *testing.T) {
	bin := Binary(t, "HYBRID_DESIGN_BIN")
	// The config is run as written, so the collector's telemetry must get
	// localhost:8888; another collector may hold it for a while.
	for deadline := time.Now().Add(2 * time.Minute); ; {
		l, err := net.Listen("tcp", "localhost:8888")
		if err == nil {
			_ = l.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the design's config scrapes localhost:8888, which stayed taken: %v", err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	peer, err := otappeer.Start(otappeer.Options{TLS: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(peer.Stop)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, peer.CA, 0o600); err != nil {
		t.Fatal(err)
	}
	design, err := filepath.Abs(filepath.Join("..", "..", "examples", "design-config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	proc := StartProcess(t, bin, "", "", ProcOpts{
		ConfigFile: design,
		Args: []string{
			"--config", "yaml:exporters::otap::endpoint: https://" + peer.Addr,
			"--config", "yaml:exporters::otap::tls::ca_file: " + ca,
			"--config", "yaml:receivers::prometheus::config::global::scrape_interval: 1s",
		},
		ReadyLog: "Everything is ready",
	})

	deadline := time.Now().Add(60 * time.Second)
	var names map[string]int
	for {
		names = metricNames(peer.Arrow().Metrics)
		otelcol := 0
		for n := range names {
			if strings.HasPrefix(n, "otelcol_") {
				otelcol++
			}
		}
		// Two scrapes' worth, so the filter has seen `up` and `scrape_*` twice.
		if otelcol > 0 && len(peer.Arrow().Metrics) >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no otelcol_* series arrived over OTAP within 60s; got %v; the otap exporter said:\n%s", names, exportErrors(proc.Out.String()))
		}
		time.Sleep(200 * time.Millisecond)
	}
	var list []string
	for n := range names {
		list = append(list, n)
		if n == "up" || strings.HasPrefix(n, "scrape_") {
			t.Errorf("%s reached the backend: advanced_filter must drop it", n)
		}
	}
	sort.Strings(list)
	t.Logf("series over OTAP: %s", strings.Join(list, ", "))
	if n := len(peer.OTLP().Metrics); n != 0 {
		t.Errorf("%d batches fell back to plain OTLP", n)
	}
}

// exportErrors are the otap exporter's failure lines, first three.
func exportErrors(out string) string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "export failed") && strings.Contains(l, "otap") && len(lines) < 3 {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}
