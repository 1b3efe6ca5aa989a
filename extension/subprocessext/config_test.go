package subprocessext

import (
	"errors"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/confmap"
	"go.yaml.in/yaml/v3"
)

func TestValidateRefusesBadOperatorSettings(t *testing.T) {
	for name, mutate := range map[string]func(*Config){
		"extract":                        func(c *Config) { c.Extract = "tmpfs" },
		"transport":                      func(c *Config) { c.Transport = "udp" },
		"start_timeout":                  func(c *Config) { c.StartTimeout = 0 },
		"health_check.period":            func(c *Config) { c.HealthCheck.Period = -time.Second },
		"health_check.failure_threshold": func(c *Config) { c.HealthCheck.FailureThreshold = 0 },
		"restart.multiplier":             func(c *Config) { c.Restart.Multiplier = 0.5 },
		"restart.jitter":                 func(c *Config) { c.Restart.Jitter = 2 },
	} {
		c := createDefaultConfig()
		mutate(c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: error %v does not name the field", name, err)
		}
	}
}

func TestValidateRunsTheRustValidatorOnlyWithARustHalf(t *testing.T) {
	called := 0
	c := createDefaultConfig()
	c.validate = func(*Config) error {
		called++
		return errors.New("processors.advanced_filter.drop_metricz: unknown field")
	}
	if err := c.Validate(); err != nil || called != 0 {
		t.Fatalf("no Rust half: err=%v, validator called %d times", err, called)
	}
	c.RustConfig = map[string]any{"service": map[string]any{}}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "runtime_dir") {
		t.Fatalf("Rust half without runtime dir accepted: %v", err)
	}
	c.RuntimeDir, c.HealthEndpoint = "/run/x", "unix:///run/x/h.sock"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "drop_metricz") || called != 1 {
		t.Fatalf("Rust validator error not returned: %v (called %d)", err, called)
	}
}

func TestRustYAMLDrainsInsideTheShutdownGrace(t *testing.T) {
	c := createDefaultConfig()
	c.ShutdownGrace = 10 * time.Second
	c.RustConfig = map[string]any{"service": map[string]any{"pipelines": map[string]any{}}}
	data, err := c.rustYAML()
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := yaml.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	if got := out["service"].(map[string]any)["shutdown_timeout"]; got != "8s" {
		t.Fatalf("shutdown_timeout = %v, want 8s (80%% of the grace)", got)
	}
	if _, mutated := c.RustConfig["service"].(map[string]any)["shutdown_timeout"]; mutated {
		t.Fatal("rustYAML changed the config it was given")
	}
	// An operator's own value is kept.
	c.RustConfig["service"].(map[string]any)["shutdown_timeout"] = "3s"
	data, _ = c.rustYAML()
	if !strings.Contains(string(data), "shutdown_timeout: 3s") {
		t.Fatalf("user shutdown_timeout overridden:\n%s", data)
	}
}

// receiver_placement is an operator setting of this extension (the converter
// reads it before partitioning); the collector must accept it here too.
func TestReceiverPlacementDecodesWithDefaultOn(t *testing.T) {
	if !createDefaultConfig().ReceiverPlacement {
		t.Fatal("receiver placement is off by default")
	}
	c := createDefaultConfig()
	if err := confmap.NewFromStringMap(map[string]any{"receiver_placement": false}).Unmarshal(c); err != nil {
		t.Fatal(err)
	}
	if c.ReceiverPlacement {
		t.Fatal("receiver_placement: false did not decode")
	}
}
