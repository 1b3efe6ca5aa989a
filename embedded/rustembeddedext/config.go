package rustembeddedext

import (
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/otelcol-hybrid/otelcol-hybrid/extension/subprocessext"
)

// Config of the rust_embedded extension; the partitioning converter fills
// it in (the Rust half of the user's config), nothing is set by hand.
type Config struct {
	RustConfig map[string]any `mapstructure:"rust_config"`
	// RustComponentNames maps the Rust half's native component ids to the
	// ids the user wrote, for the Rust components' metrics.
	RustComponentNames map[string]string `mapstructure:"rust_component_names"`
	// Logs are the operator's extensions.rust_subprocess.logs (levels per
	// Rust target, sampling of rust_debug), applied in-process the same way;
	// the rust_subprocess extension validates them.
	Logs subprocessext.LogsConfig `mapstructure:"logs"`

	// validate is the Rust library's own check (swapped by tests).
	validate func([]byte) error
}

// Validate checks the Rust half with the linked Rust library, as
// `otelcol-rust validate` does in subprocess mode, so a bad Rust half fails
// `validate` and startup before anything starts.
func (c *Config) Validate() error {
	if c.RustConfig == nil {
		return nil
	}
	data, err := c.rustYAML()
	if err != nil {
		return err
	}
	if c.validate == nil {
		return nil
	}
	return c.validate(data)
}

func (c *Config) rustYAML() ([]byte, error) {
	data, err := yaml.Marshal(c.RustConfig)
	if err != nil {
		return nil, fmt.Errorf("rendering the Rust half: %w", err)
	}
	return data, nil
}
