package ffibridgereceiver

// Config has no settings: the component name (bridge_<N>) pairs this end
// with the Rust exporter.
type Config struct{}

// Validate accepts the empty config.
func (*Config) Validate() error { return nil }
