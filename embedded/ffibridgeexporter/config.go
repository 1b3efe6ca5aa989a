package ffibridgeexporter

import (
	"errors"

	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
)

// Config of the ffi_bridge exporter, written by the partitioner with the
// gRPC bridge exporter's settings, so a crossing behaves the same in both
// modes: timeout bounds one attempt, and retry_on_failure retries what the
// Rust half calls retryable. The component name (bridge_<N>) pairs this end
// with the Rust receiver; each request's own context carries its deadline,
// cancellation, client metadata and trace context.
type Config struct {
	exporterhelper.TimeoutConfig `mapstructure:",squash"`
	RetryConfig                  configretry.BackOffConfig `mapstructure:"retry_on_failure"`
}

// Validate checks the timeout and retry settings.
func (c *Config) Validate() error {
	return errors.Join(c.TimeoutConfig.Validate(), c.RetryConfig.Validate())
}
