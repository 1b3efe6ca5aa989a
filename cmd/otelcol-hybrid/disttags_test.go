package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/otelcol-hybrid/otelcol-hybrid/builder"
)

// notLinked are the Prometheus service discoveries this distribution leaves
// out on purpose (builder-config.yaml says why).
var notLinked = []string{"outscale"}

// The manifest's build tags keep every Prometheus service discovery of the
// module in go.mod but those in notLinked: Prometheus' remove_all_sd drops
// any discovery whose enable_<name>_sd tag is missing, so a discovery added
// by an upgrade would otherwise vanish without a word.
func TestBuildTagsLinkEveryPrometheusDiscoveryButOutscale(t *testing.T) {
	m, err := builder.ParseManifestFile("builder-config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tags := m.Dist.Tags()
	if !slices.Contains(tags, "remove_all_sd") {
		t.Fatalf("dist.build_tags %q: without remove_all_sd every discovery is linked", m.Dist.BuildTags)
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/prometheus/prometheus").Output()
	if err != nil {
		t.Fatalf("go list the Prometheus module: %v", err)
	}
	plugins, err := filepath.Glob(filepath.Join(strings.TrimSpace(string(out)), "plugins", "plugin_*.go"))
	if err != nil || len(plugins) < 20 {
		t.Fatalf("the Prometheus module's plugins: %v (%d files)", err, len(plugins))
	}
	enable := regexp.MustCompile(`enable_([a-z0-9]+)_sd`)
	known := map[string]bool{"remove_all_sd": true}
	for _, p := range plugins {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		mm := enable.FindSubmatch(b)
		if mm == nil {
			t.Fatalf("%s: no enable_<name>_sd build constraint", p)
		}
		name, tag := string(mm[1]), string(mm[0])
		known[tag] = true
		switch linked := slices.Contains(tags, tag); {
		case slices.Contains(notLinked, name) && linked:
			t.Errorf("dist.build_tags links %s, which this distribution leaves out", tag)
		case !slices.Contains(notLinked, name) && !linked:
			t.Errorf("dist.build_tags lacks %s: Prometheus' %s service discovery would not be linked", tag, name)
		}
	}
	for _, tag := range tags {
		if strings.HasSuffix(tag, "_sd") && !known[tag] {
			t.Errorf("dist.build_tags names %s, which no Prometheus plugin has", tag)
		}
	}
}
