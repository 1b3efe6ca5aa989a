// Command otapbench sends the same batches through otelcol-rust twice, once
// ending in the `otap` exporter and once in `otlp_rust`, to the otappeer
// receiver, and prints one JSON line: bytes on the wire for each (gRPC
// messages as they crossed the wire, after compression) and the collector's
// CPU per item for each.
//
//	go run ./cmd/otapbench -bin ../../bin/otelcol-rust [-batches 60]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/otelcol-hybrid/otelcol-hybrid/e2e/otappeer"
)

type side struct {
	WireBytes     int64   `json:"wire_bytes"`
	CPUSeconds    float64 `json:"cpu_seconds"`
	CPUMicrosItem float64 `json:"cpu_us_per_item"`
}

func main() {
	bin := flag.String("bin", os.Getenv("OTELCOL_RUST_BIN"), "otelcol-rust binary")
	batches := flag.Int("batches", 60, "batches per signal")
	flag.Parse()
	if *bin == "" {
		fatal(fmt.Errorf("-bin or OTELCOL_RUST_BIN is required"))
	}
	md, td, ld := otappeer.Metrics(60), otappeer.Traces(200), otappeer.Logs(400)
	items := *batches * (md.DataPointCount() + td.SpanCount() + ld.LogRecordCount())

	run := func(exporter string) side {
		peer, err := otappeer.Start(otappeer.Options{})
		if err != nil {
			fatal(err)
		}
		defer peer.Stop()
		cfg := fmt.Sprintf("  %s:\n    endpoint: http://%s\n", exporter, peer.Addr)
		if exporter == "otap" {
			cfg += "    arrow: {num_streams: 1}\n"
		}
		c, err := otappeer.StartCollector(*bin, cfg, exporter, io.Discard)
		if err != nil {
			fatal(err)
		}
		defer c.Stop()
		before, _ := c.CPUSeconds()
		for i := 0; i < *batches; i++ {
			for _, err := range []error{c.SendMetrics(md), c.SendTraces(td), c.SendLogs(ld)} {
				if err != nil {
					fatal(fmt.Errorf("%s: %w", exporter, err))
				}
			}
		}
		// Exporters answer once a request is queued (sending_queue is on by
		// default), so the collector's work ends when the peer has every
		// item, not when the last send returns: count bytes and CPU then.
		if err := waitForItems(peer, exporter, items, 30*time.Second); err != nil {
			fatal(err)
		}
		after, err := c.CPUSeconds()
		if err != nil {
			fatal(err)
		}
		kind := "otlp"
		if exporter == "otap" {
			kind = "arrow"
		}
		cpu := after - before
		return side{WireBytes: peer.WireBytes()[kind], CPUSeconds: cpu, CPUMicrosItem: cpu * 1e6 / float64(items)}
	}
	otap, otlp := run("otap"), run("otlp_rust")
	out := map[string]any{
		"items":                   items,
		"otap":                    otap,
		"otlp_rust":               otlp,
		"otap_vs_otlp_wire_bytes": float64(otap.WireBytes) / float64(otlp.WireBytes),
		"otap_vs_otlp_cpu":        otap.CPUSeconds / otlp.CPUSeconds,
	}
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
}

// waitForItems waits until the peer has received want items through the
// exporter's kind of service; fewer by the deadline is lost data.
func waitForItems(peer *otappeer.Peer, exporter string, want int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		got := peer.OTLP()
		if exporter == "otap" {
			got = peer.Arrow()
		}
		n := got.Items()
		if n >= want {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: the peer received %d of %d items within %s", exporter, n, want, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "otapbench:", err)
	os.Exit(1)
}
