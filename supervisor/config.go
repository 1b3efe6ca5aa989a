package supervisor

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"
)

// Config describes one supervised child process. Zero durations and counts
// take the defaults documented on each field.
type Config struct {
	// Path is the executable to run (for example the one extract/ placed).
	Path string
	// Args are the arguments after the program name.
	Args []string
	// Env is the child's whole environment. Nothing is inherited from the
	// parent: a nil or empty Env gives the child an empty environment.
	Env []string

	// ConfigFile is a file the child reads. It must not be readable by group
	// or others (0600) on unix. It is removed on Shutdown.
	ConfigFile string
	// Dir is the private runtime dir (0700) holding sockets; the child runs
	// with Dir as its working directory and every *.sock in it is removed on
	// Shutdown. Optional.
	Dir string
	// HealthEndpoint is where the child serves grpc.health.v1:
	// "unix:///abs/path.sock" or a loopback "127.0.0.1:PORT" / "[::1]:PORT".
	HealthEndpoint string

	// ExtraFiles are inherited by every child started, as fds 3, 4, ... (in
	// order; exec.Cmd.ExtraFiles, not on Windows): listening sockets this
	// process keeps open for all of them, so a restarted child serves on
	// the same sockets and their ports are never free in between. The
	// caller owns and closes them, after Shutdown.
	ExtraFiles []*os.File

	// Secret, when set, is a credential shared with the child: it is written
	// as the first line of the child's stdin, before the child runs (argv and
	// the environment can be read by other local users on some systems; the
	// pipe cannot), and sent as gRPC metadata SecretHeader on every health
	// check and Call, so the child can refuse whoever else dials its
	// listener. Printable ASCII without spaces (it is a header value).
	Secret string
	// SecretHeader is the metadata key carrying Secret; required with it.
	SecretHeader string

	// StartTimeout bounds spawn → SERVING. Default 30s.
	StartTimeout time.Duration
	// Probe drives the periodic health check once the child is ready.
	Probe ProbeConfig
	// Restart governs what happens after a crash or failed health.
	Restart RestartPolicy
	// ShutdownGrace is the time between SIGTERM and SIGKILL. Default 15s,
	// above otelcol-rust's default service.shutdown_timeout of 10s.
	ShutdownGrace time.Duration

	// Logger receives the supervisor's own messages; the child's output is
	// re-emitted under Logger.Named("rust"). Default: no-op.
	Logger *zap.Logger
	// MeterProvider, when set, gets state/restart/exit instruments.
	MeterProvider metric.MeterProvider
	// LogRoute, when set, is asked about every structured child line by its
	// "target" field: lines it routes past the logger's level or sampling
	// are written to the logger's core directly. Default: every line goes
	// through the logger's level and sampling like the parent's own.
	LogRoute func(target string) LogRoute
	// OnStatus, when set, is called on every state change, in order, from a
	// dedicated goroutine (it may call any Supervisor method).
	OnStatus func(Status)
	// CleanupPaths are extra files removed on Shutdown.
	CleanupPaths []string
}

// ProbeConfig mirrors Kubernetes probes: every Period a Check with Timeout;
// FailureThreshold consecutive failures make the child unhealthy enough to
// restart.
type ProbeConfig struct {
	Period           time.Duration // default 5s
	Timeout          time.Duration // default 1s
	FailureThreshold int           // default 3
}

// RestartPolicy is a capped exponential backoff with jitter plus a crash-loop
// breaker.
type RestartPolicy struct {
	InitialBackoff time.Duration // default 500ms
	MaxBackoff     time.Duration // default 30s
	Multiplier     float64       // default 2
	Jitter         float64       // fraction in [0,1]; default 0.2
	// ResetAfter is how long a child must stay ready before the backoff
	// returns to InitialBackoff. Default 60s.
	ResetAfter time.Duration
	// MaxRestarts within Window is allowed; one more failure is fatal.
	// Default 5. Negative: never restart (the first failure is fatal).
	MaxRestarts int
	Window      time.Duration // default 5m
}

func (c Config) withDefaults() Config {
	setDur := func(d *time.Duration, def time.Duration) {
		if *d <= 0 {
			*d = def
		}
	}
	setDur(&c.StartTimeout, 30*time.Second)
	setDur(&c.ShutdownGrace, 15*time.Second)
	setDur(&c.Probe.Period, 5*time.Second)
	setDur(&c.Probe.Timeout, time.Second)
	if c.Probe.FailureThreshold <= 0 {
		c.Probe.FailureThreshold = 3
	}
	r := &c.Restart
	setDur(&r.InitialBackoff, 500*time.Millisecond)
	setDur(&r.MaxBackoff, 30*time.Second)
	setDur(&r.ResetAfter, time.Minute)
	setDur(&r.Window, 5*time.Minute)
	if r.Multiplier < 1 {
		r.Multiplier = 2
	}
	if r.Jitter <= 0 || r.Jitter > 1 {
		r.Jitter = 0.2
	}
	if r.MaxRestarts == 0 {
		r.MaxRestarts = 5
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	if c.Env == nil {
		// os/exec inherits the parent environment when Env is nil.
		c.Env = []string{}
	}
	return c
}

func (c Config) validate() error {
	if c.Path == "" {
		return errors.New("supervisor: Config.Path is empty")
	}
	if !filepath.IsAbs(c.Path) {
		return fmt.Errorf("supervisor: Config.Path %q is not absolute", c.Path)
	}
	if _, err := parseEndpoint(c.HealthEndpoint); err != nil {
		return err
	}
	if c.Secret != "" {
		if c.SecretHeader == "" {
			return errors.New("supervisor: Config.Secret is set but Config.SecretHeader is empty")
		}
		for _, r := range c.Secret {
			if r <= ' ' || r > '~' {
				return errors.New("supervisor: Config.Secret must be printable ASCII without spaces or line breaks")
			}
		}
	}
	return nil
}

// endpoint is a parsed HealthEndpoint.
type endpoint struct {
	network string      // "unix" or "tcp"
	address string      // socket path or host:port
	secret  secretCreds // Config.Secret under Config.SecretHeader; nil without a secret
}

func parseEndpoint(s string) (endpoint, error) {
	if s == "" {
		return endpoint{}, errors.New("supervisor: Config.HealthEndpoint is empty")
	}
	if path, ok := strings.CutPrefix(s, "unix://"); ok {
		if !filepath.IsAbs(path) {
			return endpoint{}, fmt.Errorf("supervisor: health endpoint %q: want unix:///absolute/path", s)
		}
		return endpoint{network: "unix", address: path}, nil
	}
	host, _, err := net.SplitHostPort(s)
	if err != nil {
		return endpoint{}, fmt.Errorf("supervisor: health endpoint %q: want unix:///path or 127.0.0.1:PORT: %w", s, err)
	}
	// TCP carries no peer credentials, so only loopback keeps the health
	// answer from being forged by another machine.
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return endpoint{}, fmt.Errorf("supervisor: health endpoint %q is not a loopback IP address", s)
	}
	return endpoint{network: "tcp", address: s}, nil
}

// LogRoute says how a child line skips the parent logger's filters.
type LogRoute struct {
	// IgnoreLevel: the child filtered this target itself, at a level the
	// operator chose for it, which may be below the logger's.
	IgnoreLevel bool
	// IgnoreSampling: every line of this target is wanted (output a user
	// reads line by line), so the logger's sampler must not drop any.
	IgnoreSampling bool
}
