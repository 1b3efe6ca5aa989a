package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/otelcol-hybrid/otelcol-hybrid/internal/testkit"
	"github.com/otelcol-hybrid/otelcol-hybrid/internal/testkit/otlpbackend"
)

// promScrape reads the collector's Prometheus endpoint with Prometheus's own
// text parser, as a Prometheus server would.
func promScrape(t *testing.T, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: HTTP %d", resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("scrape: the exposition does not parse: %v", err)
	}
	return fams
}

// promValue is the value of the one series of family name whose labels
// include want ("k=v" pairs); ok false when there is none. More than one
// match fails the test: a family must not count a component twice.
func promValue(t *testing.T, fams map[string]*dto.MetricFamily, name string, want ...string) (float64, bool) {
	t.Helper()
	f := fams[name]
	if f == nil {
		return 0, false
	}
	var found []*dto.Metric
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		match := true
		for _, kv := range want {
			k, v, _ := strings.Cut(kv, "=")
			if labels[k] != v {
				match = false
			}
		}
		if match {
			found = append(found, m)
		}
	}
	switch len(found) {
	case 0:
		return 0, false
	case 1:
	default:
		t.Fatalf("%s%v: %d series, want one", name, want, len(found))
	}
	m := found[0]
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue(), true
	case m.Gauge != nil:
		return m.Gauge.GetValue(), true
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount()), true
	}
	return 0, false
}

// expectSeries is one series and the value it must reach.
type expectSeries struct {
	name   string
	labels []string
	value  float64
}

func (e expectSeries) String() string {
	return fmt.Sprintf("%s{%s}", e.name, strings.Join(e.labels, ","))
}

// waitForSeries scrapes until every series has its value: counters are
// updated when a request ends, which the client may see a moment earlier.
func waitForSeries(t *testing.T, addr string, want []expectSeries) map[string]*dto.MetricFamily {
	t.Helper()
	var fams map[string]*dto.MetricFamily
	testkit.Await(t, 15*time.Second, func() error {
		fams = promScrape(t, addr)
		var wrong []string
		for _, w := range want {
			got, ok := promValue(t, fams, w.name, w.labels...)
			if !ok || got != w.value {
				wrong = append(wrong, fmt.Sprintf("%s = %v (present %v), want %v", w, got, ok, w.value))
			}
		}
		if len(wrong) > 0 {
			return fmt.Errorf("collector metrics:\n  %s", strings.Join(wrong, "\n  "))
		}
		return nil
	})
	return fams
}

// ownMetricsSink is where the collector's OTLP periodic reader pushes its own
// metrics: it remembers which (metric, label=value) pairs it has seen.
type ownMetricsSink struct {
	Addr string
	mu   sync.Mutex
	seen map[string]bool
}

func startOwnMetricsSink(t *testing.T) *ownMetricsSink {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &ownMetricsSink{Addr: l.Addr().String(), seen: map[string]bool{}}
	srv := otlpbackend.Serve(l, otlpbackend.Handlers{Metrics: s.export})
	t.Cleanup(srv.Stop)
	return s
}

func (s *ownMetricsSink) export(_ context.Context, md pmetric.Metrics) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for m := range otlpbackend.Metrics(md) {
		forEachPointAttrs(m, func(attrs pcommon.Map) {
			for key, v := range attrs.All() {
				s.seen[m.Name()+" "+key+"="+v.AsString()] = true
			}
		})
	}
	return nil
}

// waitFor waits until metric name was pushed with label=value.
func (s *ownMetricsSink) waitFor(t *testing.T, name, label string) {
	t.Helper()
	testkit.Eventually(t, 10*time.Second, fmt.Sprintf("the OTLP periodic reader to push %s{%s}", name, label), func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.seen[name+" "+label]
	})
}

// noBridgeSeries fails the test when the OTLP push reader has carried a
// partitioner-made component (see the Prometheus reader's noBridgeSeries).
func (s *ownMetricsSink) noBridgeSeries(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for seen := range s.seen {
		_, label, _ := strings.Cut(seen, " ")
		if _, v, _ := strings.Cut(label, "="); isBridgeID(v) {
			t.Errorf("pushed %s: a partitioner-made component on a series", seen)
		}
	}
}
