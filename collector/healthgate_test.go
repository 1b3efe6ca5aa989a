package collector

import (
	"testing"

	_ "github.com/open-telemetry/opentelemetry-collector-contrib/extension/healthcheckextension" // registers the gate
	"go.opentelemetry.io/collector/featuregate"
	"go.opentelemetry.io/collector/otelcol"
)

func gateEnabled(t *testing.T, id string) bool {
	t.Helper()
	on, found := false, false
	featuregate.GlobalRegistry().VisitAll(func(g *featuregate.Gate) {
		if g.ID() == id {
			on, found = g.IsEnabled(), true
		}
	})
	if !found {
		t.Fatalf("gate %s is not registered", id)
	}
	return on
}

// TestHealthCheckUsesComponentStatusUnlessTheOperatorSaysNo: the command
// turns health_check's component-status implementation on, and
// --feature-gates=-extension.healthcheck.useComponentStatus on the command
// line still turns it off.
func TestHealthCheckUsesComponentStatusUnlessTheOperatorSaysNo(t *testing.T) {
	before := gateEnabled(t, healthCheckComponentStatus)
	t.Cleanup(func() { _ = featuregate.GlobalRegistry().Set(healthCheckComponentStatus, before) })
	if err := featuregate.GlobalRegistry().Set(healthCheckComponentStatus, false); err != nil {
		t.Fatal(err)
	}
	newCmd := func() interface{ ParseFlags([]string) error } {
		return NewCommand(otelcol.CollectorSettings{Factories: func() (otelcol.Factories, error) { return otelcol.Factories{}, nil }})
	}

	cmd := newCmd()
	if err := cmd.ParseFlags(nil); err != nil {
		t.Fatal(err)
	}
	if !gateEnabled(t, healthCheckComponentStatus) {
		t.Errorf("%s is off by default", healthCheckComponentStatus)
	}

	cmd = newCmd()
	if err := cmd.ParseFlags([]string{"--feature-gates=-" + healthCheckComponentStatus}); err != nil {
		t.Fatal(err)
	}
	if gateEnabled(t, healthCheckComponentStatus) {
		t.Errorf("--feature-gates=-%s left it on", healthCheckComponentStatus)
	}
}

// TestDefaultOnSkipsAnUnregisteredGate: a distribution without health_check
// has no such gate, and the command must start all the same.
func TestDefaultOnSkipsAnUnregisteredGate(t *testing.T) {
	defaultOn(featuregate.NewRegistry(), healthCheckComponentStatus)
}
