package subprocessext

import (
	"context"
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/otelcol-hybrid/otelcol-hybrid/collector/mode"
	"github.com/otelcol-hybrid/otelcol-hybrid/collector/rustexe"
	"github.com/otelcol-hybrid/otelcol-hybrid/extract"
)

func validateRustHalf(c *Config) error {
	if _, err := mode.Select(c.Mode, mode.CgoEnabled); err != nil {
		return err
	}
	exe, err := rustexe.Get(context.Background(), c.rustexeOptions())
	if err != nil {
		return err
	}
	data, err := c.rustYAML()
	if err != nil {
		return err
	}
	return rustexe.Validate(context.Background(), exe, data)
}

func (c *Config) rustexeOptions() rustexe.Options {
	m := extract.ModeAuto
	switch c.Extract {
	case "memfd":
		m = extract.ModeMemfd
	case "disk":
		m = extract.ModeDisk
	}
	return rustexe.Options{CacheDir: c.CacheDir, Mode: m}
}

// rustYAML renders the Rust half, giving it a drain deadline inside our
// shutdown grace so that it flushes before we would have to SIGKILL it.
func (c *Config) rustYAML() ([]byte, error) {
	half := make(map[string]any, len(c.RustConfig))
	for k, v := range c.RustConfig {
		half[k] = v
	}
	svc, _ := half["service"].(map[string]any)
	if svc != nil {
		if _, set := svc["shutdown_timeout"]; !set {
			cp := make(map[string]any, len(svc)+1)
			for k, v := range svc {
				cp[k] = v
			}
			cp["shutdown_timeout"] = (c.ShutdownGrace * 8 / 10).String()
			half["service"] = cp
		}
	}
	data, err := yaml.Marshal(half)
	if err != nil {
		return nil, fmt.Errorf("rendering the Rust half: %w", err)
	}
	return data, nil
}
