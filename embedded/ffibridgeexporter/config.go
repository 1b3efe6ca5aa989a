package ffibridgeexporter

// Config has no settings: the component name (bridge_<N>) pairs this end
// with the Rust receiver, and each request's own context carries its
// deadline, cancellation, client metadata and trace context.
type Config struct{}

// Validate accepts the empty config.
func (*Config) Validate() error { return nil }
