package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
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
	deadline := time.Now().Add(15 * time.Second)
	for {
		fams := promScrape(t, addr)
		var wrong []string
		for _, w := range want {
			got, ok := promValue(t, fams, w.name, w.labels...)
			if !ok || got != w.value {
				wrong = append(wrong, fmt.Sprintf("%s = %v (present %v), want %v", w, got, ok, w.value))
			}
		}
		if len(wrong) == 0 {
			return fams
		}
		if time.Now().After(deadline) {
			t.Fatalf("collector metrics:\n  %s", strings.Join(wrong, "\n  "))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
