package bridgecancel

// Config is what the partitioner sets: users never write bridge_cancel.
// What it cancels on comes from the bridge_context extension.
type Config struct {
	// KeepReceivedBytes makes the processor keep the bytes the user's
	// OTLP/gRPC receiver got (bridge_context's pass-through) for as long as
	// the request's context lives, instead of until the receiver's handler
	// returns. The partitioner sets it where the bridge exporter after this
	// processor queues: the queue sends later, and should still send those
	// bytes rather than encode the data again.
	KeepReceivedBytes bool `mapstructure:"keep_received_bytes"`
}

// Validate accepts every configuration.
func (*Config) Validate() error { return nil }
