package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The binary links Prometheus' service discoveries except Outscale's (its
// build tags, cmd/otelcol-hybrid/builder-config.yaml): a scrape config that
// uses the others validates, and one that uses outscale_sd_configs is refused
// with the field named.
func TestPrometheusDiscoveriesLinkedButOutscale(t *testing.T) {
	t.Parallel()
	bin := hybridBin(t)
	dir := shortTempDir(t)
	validate := func(sd string) (string, error) {
		cfg := filepath.Join(dir, "c.yaml")
		body := `receivers:
  prometheus:
    config:
      scrape_configs:
        - job_name: sd
` + sd + `
exporters:
  debug: {}
service:
  pipelines:
    metrics:
      receivers: [prometheus]
      exporters: [debug]
`
		if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(bin, "validate", "--config", cfg).CombinedOutput()
		return string(out), err
	}
	for _, sd := range []string{
		"          kubernetes_sd_configs: [{role: pod}]",
		"          ec2_sd_configs: [{region: us-east-1}]",
		"          consul_sd_configs: [{server: 'localhost:8500'}]",
		"          dns_sd_configs: [{names: [example.com]}]",
	} {
		if out, err := validate(sd); err != nil {
			t.Errorf("%s: refused: %v\n%s", strings.TrimSpace(sd), err, out)
		}
	}
	out, err := validate("          outscale_sd_configs: [{region: eu-west-2}]")
	if err == nil || !strings.Contains(out, "outscale_sd_configs") {
		t.Errorf("outscale_sd_configs should be refused with the field named (err=%v):\n%s", err, out)
	}
}
