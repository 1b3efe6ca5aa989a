package subprocessext

import (
	"errors"
	"fmt"
	"time"
)

// Config of the rust_subprocess extension. RustConfig, RuntimeDir and
// HealthEndpoint are filled in by the partitioning converter; the rest are
// operator settings (the extension can be listed in the user's config to set them).
type Config struct {
	// Mode: auto | embedded | subprocess (see collector.SelectMode).
	Mode string `mapstructure:"mode"`

	RustConfig     map[string]any `mapstructure:"rust_config"`
	RuntimeDir     string         `mapstructure:"runtime_dir"`
	HealthEndpoint string         `mapstructure:"health_endpoint"`
	// RustComponentNames maps "<kind>:<id in the Rust half>" to the id the
	// user wrote, where they differ (rust_otlp/in runs as otlp/in), so the
	// Rust components' metrics carry the user's ids.
	RustComponentNames map[string]string `mapstructure:"rust_component_names"`

	// Transport of the bridges and the health listener: unix (sockets in the
	// private runtime dir) | tcp (loopback ports); empty means the
	// platform's: tcp on Windows, unix elsewhere. Either way every request
	// carries the bridge secret. The partitioning converter reads it from the
	// user's config.
	Transport string `mapstructure:"transport"`

	// Extraction of the embedded binary: auto (sealed memfd, else disk) | memfd | disk.
	Extract  string `mapstructure:"extract"`
	CacheDir string `mapstructure:"cache_dir"`

	StartTimeout  time.Duration `mapstructure:"start_timeout"`
	ShutdownGrace time.Duration `mapstructure:"shutdown_grace"`

	// BridgeTimeout bounds one export attempt over every bridge (the Go
	// exporters' `timeout`, hence the grpc-timeout Rust sees, and the Rust
	// bridge exporters' `timeout`); 0 = partition.DefaultBridgeTimeout. The
	// partitioning converter reads it from the user's config.
	BridgeTimeout time.Duration `mapstructure:"bridge_timeout"`

	// ReceiverPlacement lets the partitioner run a Go receiver whose every
	// pipeline continues only with Rust components in the Rust half, with no
	// bridge, when the Rust receiver implements all of its settings
	// identically (partition.Placement). false keeps every Go receiver in Go.
	// The partitioning converter reads it from the user's config.
	ReceiverPlacement bool `mapstructure:"receiver_placement"`

	// MemoryLimitMiB bounds the request data the Rust half holds (being
	// processed or in its sending queues): past it, it refuses new data with
	// a retryable error carrying RetryInfo. 0 = the Rust default (512). The
	// partitioning converter reads it from the user's config.
	MemoryLimitMiB int `mapstructure:"memory_limit_mib"`

	// WorkerThreads sizes the Rust half's async runtime, in both modes; 0
	// lets the partitioner choose (half the CPUs when Go feeds the Rust half
	// through bridges, every CPU when it has receivers of its own). The
	// partitioning converter reads it from the user's config.
	WorkerThreads int `mapstructure:"worker_threads"`

	HealthCheck HealthCheckConfig `mapstructure:"health_check"`
	Restart     RestartConfig     `mapstructure:"restart"`
	Logs        LogsConfig        `mapstructure:"logs"`

	// validate is swapped by tests; it runs `otelcol-rust validate` on the Rust half.
	validate func(*Config) error
}

// HealthCheckConfig is a Kubernetes-style probe of the child's gRPC health service.
type HealthCheckConfig struct {
	Period           time.Duration `mapstructure:"period"`
	Timeout          time.Duration `mapstructure:"timeout"`
	FailureThreshold int           `mapstructure:"failure_threshold"`
}

// RestartConfig is the crash/unhealthy restart policy.
type RestartConfig struct {
	InitialBackoff time.Duration `mapstructure:"initial_backoff"`
	MaxBackoff     time.Duration `mapstructure:"max_backoff"`
	Multiplier     float64       `mapstructure:"multiplier"`
	Jitter         float64       `mapstructure:"jitter"`
	ResetAfter     time.Duration `mapstructure:"reset_after"`
	MaxRestarts    int           `mapstructure:"max_restarts"`
	Window         time.Duration `mapstructure:"window"`
}

func createDefaultConfig() *Config {
	return &Config{
		Mode:          "auto",
		Extract:       "auto",
		StartTimeout:  30 * time.Second,
		ShutdownGrace: 10 * time.Second,

		ReceiverPlacement: true,
		HealthCheck:       HealthCheckConfig{Period: 5 * time.Second, Timeout: 2 * time.Second, FailureThreshold: 3},
		Restart: RestartConfig{
			InitialBackoff: 250 * time.Millisecond, MaxBackoff: 30 * time.Second,
			Multiplier: 2, Jitter: 0.2, ResetAfter: time.Minute, MaxRestarts: 5, Window: 5 * time.Minute,
		},
	}
}

// Validate checks the settings and, when there is a Rust half, validates it
// with the embedded otelcol-rust: a bad Rust half must fail `validate` and
// startup before any component of either half starts.
func (c *Config) Validate() error {
	var errs []error
	switch c.Extract {
	case "auto", "memfd", "disk":
	default:
		errs = append(errs, fmt.Errorf("extract: %q is not one of auto, memfd, disk", c.Extract))
	}
	switch c.Transport {
	case "", "unix", "tcp":
	default:
		errs = append(errs, fmt.Errorf("transport: %q is not one of unix, tcp", c.Transport))
	}
	for name, d := range map[string]time.Duration{
		"start_timeout": c.StartTimeout, "shutdown_grace": c.ShutdownGrace,
		"health_check.period": c.HealthCheck.Period, "health_check.timeout": c.HealthCheck.Timeout,
		"restart.initial_backoff": c.Restart.InitialBackoff, "restart.max_backoff": c.Restart.MaxBackoff,
	} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s: must be positive, got %s", name, d))
		}
	}
	if c.BridgeTimeout < 0 {
		errs = append(errs, fmt.Errorf("bridge_timeout: must not be negative, got %s", c.BridgeTimeout))
	}
	if c.HealthCheck.FailureThreshold < 1 {
		errs = append(errs, fmt.Errorf("health_check.failure_threshold: must be at least 1"))
	}
	if c.Restart.Multiplier < 1 {
		errs = append(errs, fmt.Errorf("restart.multiplier: must be at least 1"))
	}
	if c.Restart.Jitter < 0 || c.Restart.Jitter > 1 {
		errs = append(errs, fmt.Errorf("restart.jitter: must be within [0, 1]"))
	}
	errs = append(errs, c.Logs.validate()...)
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if c.RustConfig == nil {
		return nil // listed by the user but nothing runs in Rust: the extension idles.
	}
	if c.RuntimeDir == "" || c.HealthEndpoint == "" {
		return errors.New("rust_config is set but runtime_dir/health_endpoint are not: these are set by the partitioning converter, not by hand")
	}
	v := c.validate
	if v == nil {
		v = validateRustHalf
	}
	return v(c)
}
