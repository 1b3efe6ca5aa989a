package bridgecancel

// Config is empty: the partitioner adds bridge_cancel to the Go pipelines
// that end in a bridge exporter, and what it cancels on comes from the
// bridge_context extension, not from settings.
type Config struct{}

// Validate accepts the only configuration there is.
func (*Config) Validate() error { return nil }
