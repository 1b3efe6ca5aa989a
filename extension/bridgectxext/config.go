package bridgectxext

// Config is empty: the partitioner adds bridge_context to every Go half that
// bridges, and what it carries (client metadata, trace context, the bridge
// secret) comes from each request and from the process, not from settings.
type Config struct{}

// Validate accepts the only configuration there is.
func (*Config) Validate() error { return nil }
