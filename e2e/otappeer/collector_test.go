package otappeer

import (
	"bytes"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// syncBuffer collects the collector's log lines while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startCollector runs the real otelcol-rust binary ($OTELCOL_RUST_BIN) with
// an otlp receiver on a unix socket and every signal piped to `exporters`.
func startCollector(t *testing.T, exportersYAML string, exporters string) *testCollector {
	t.Helper()
	bin := os.Getenv("OTELCOL_RUST_BIN")
	if bin == "" {
		if os.Getenv("E2E_REQUIRED") != "" {
			t.Fatal("OTELCOL_RUST_BIN is not set")
		}
		t.Skip("OTELCOL_RUST_BIN is not set")
	}
	log := &syncBuffer{}
	c, err := StartCollector(bin, exportersYAML, exporters, log)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	t.Cleanup(func() {
		c.Stop()
		if t.Failed() {
			t.Logf("collector log:\n%s", log.String())
		}
	})
	return &testCollector{c, log}
}

type testCollector struct {
	*Collector
	log *syncBuffer
}

func (c *testCollector) sendMetrics(md pmetric.Metrics) error { return c.SendMetrics(md) }
func (c *testCollector) sendTraces(td ptrace.Traces) error    { return c.SendTraces(td) }
func (c *testCollector) sendLogs(ld plog.Logs) error          { return c.SendLogs(ld) }

func startPeer(t *testing.T, opts Options) *Peer {
	t.Helper()
	p, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	return p
}

// otapExporter is the otap exporter's config section pointing at the peer,
// with retries quick enough for a test.
func otapExporter(p *Peer, extra string) string {
	return fmt.Sprintf(`  otap:
    endpoint: http://%s
    retry_on_failure: {initial_interval: 50ms, max_interval: 200ms, max_elapsed_time: 20s}
%s`, p.Addr, extra)
}

// waitForItems waits until the peer holds want items over OTLP, the
// exporters in front of which may answer before delivering (a sending queue).
func waitForItems(t *testing.T, p *Peer, want int) {
	t.Helper()
	eventually(t, 30*time.Second, fmt.Sprintf("%d items over plain OTLP", want), func() bool {
		return p.OTLP().Items() >= want
	})
}

func pointCount(ms []pmetric.Metrics) int {
	n := 0
	for _, m := range ms {
		n += m.DataPointCount()
	}
	return n
}

func spanCount(ts []ptrace.Traces) int {
	n := 0
	for _, t := range ts {
		n += t.SpanCount()
	}
	return n
}

func logCount(ls []plog.Logs) int {
	n := 0
	for _, l := range ls {
		n += l.LogRecordCount()
	}
	return n
}
