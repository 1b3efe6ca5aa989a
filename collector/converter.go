package collector

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.uber.org/zap"

	"github.com/otelcol-hybrid/otelcol-hybrid/collector/mode"
	"github.com/otelcol-hybrid/otelcol-hybrid/collector/runtimedir"
	"github.com/otelcol-hybrid/otelcol-hybrid/extension/bridgectxext"
	"github.com/otelcol-hybrid/otelcol-hybrid/extension/subprocessext"
	"github.com/otelcol-hybrid/otelcol-hybrid/partition"
	"github.com/otelcol-hybrid/otelcol-hybrid/platforms"
	"github.com/otelcol-hybrid/otelcol-hybrid/processor/bridgecancel"
)

// NewConverterFactory returns the confmap converter that splits the user's
// config into the Go half (which replaces the config the collector sees) and
// the Rust half (handed to the subprocess extension inside the Go half).
// Running as a converter means every config source the collector supports
// (files, env, yaml:, http:, several --config merged) is partitioned alike.
func NewConverterFactory(catalog func() (*partition.Catalog, error), build component.BuildInfo) confmap.ConverterFactory {
	return newConverterFactory(catalog, build, nil)
}

// newConverterFactory also records in made which Go components each
// partition wrote (nil: nowhere).
func newConverterFactory(catalog func() (*partition.Catalog, error), build component.BuildInfo, made *madeComponents) confmap.ConverterFactory {
	return confmap.NewConverterFactory(func(set confmap.ConverterSettings) confmap.Converter {
		return &converter{catalog: catalog, build: build, logger: set.Logger, made: made}
	})
}

type converter struct {
	catalog func() (*partition.Catalog, error)
	build   component.BuildInfo
	logger  *zap.Logger
	made    *madeComponents
}

func (c *converter) Convert(_ context.Context, conf *confmap.Conf) error {
	cat, err := c.catalog()
	if err != nil {
		return err
	}
	user := conf.ToStringMap()
	m, err := userMode(user)
	if err != nil {
		return err
	}
	res, warnings, err := split(user, cat, c.build, m)
	if err != nil {
		return err
	}
	goHalf := res.Go
	if c.made != nil {
		c.made.record(res.GoMade)
	}
	if res.Rust != nil && m == mode.ModeEmbedded {
		if err := injectExtension(goHalf, mode.EmbeddedExtensionType, map[string]any{
			"rust_config": res.Rust,
			// The Rust half counts under native ids; its metrics carry the user's.
			"rust_component_names": rustComponentNames(user, cat),
			"logs":                 userRustLogs(user),
		}); err != nil {
			return err
		}
		if c.logger != nil {
			c.logger.Info("Config partitioned: Rust components run in this process (embedded mode)", zap.Int("bridges", len(res.Bridges)))
		}
	} else if res.Rust != nil {
		if err := injectExtension(goHalf, subprocessext.Type.String(), map[string]any{
			"rust_config":     res.Rust,
			"runtime_dir":     runtimedir.Path(),
			"health_endpoint": res.HealthEndpoint,
			// The Rust half counts under native ids; its metrics carry the user's.
			"rust_component_names": rustComponentNames(user, cat),
		}); err != nil {
			return err
		}
		if c.logger != nil {
			c.logger.Info("Config partitioned: Rust components run in a supervised otelcol-rust child",
				zap.Int("bridges", len(res.Bridges)), zap.String("runtime_dir", runtimedir.Path()))
		}
	}
	if c.logger != nil {
		for _, p := range res.Placements {
			c.logger.Info(p.String())
		}
	}
	if c.logger != nil {
		for _, w := range warnings {
			c.logger.Warn(w)
		}
	}
	// The empty key clears the whole map at once. Deleting key by key made
	// koanf flatten the rest of the config again after every key, quadratic
	// in the settings: 5 ms for 90 of them, 0.6 s for 900, on every start
	// (BenchmarkConverterLargeConfig).
	conf.Delete("")
	return conf.Merge(confmap.NewFromStringMap(goHalf))
}

// split is the config transformation the converter and the `partition`
// subcommand share: partition the user's config, add bridge_context to a Go
// half that bridges, and give the Rust half the user's telemetry settings.
// Warnings say what of the user's config the Rust half cannot honour.
func split(user map[string]any, cat *partition.Catalog, build component.BuildInfo, m mode.Mode) (*partition.Result, []string, error) {
	if err := requirePipelines(user); err != nil {
		return nil, nil, err
	}
	sub, err := userSubprocess(user)
	if err != nil {
		return nil, nil, err
	}
	transport, err := resolveTransport(sub.Transport, runtime.GOOS, runtime.GOARCH)
	if err != nil {
		return nil, nil, err
	}
	opts := PartitionOptions(transport)
	opts.InProcess = m == mode.ModeEmbedded
	if err := partitionSettings(sub, &opts); err != nil {
		return nil, nil, err
	}
	res, err := partition.Partition(user, cat, opts)
	if err != nil {
		return nil, nil, err
	}
	if res.Rust == nil {
		return res, nil, nil
	}
	// bridge_context is the Go bridge exporters' middleware (and tells
	// bridge_cancel of shutdown), and the Go bridge receivers' authenticator:
	// every bridge over a listener needs it. In-process crossings have no
	// listener, so only a Go → Rust one needs it (for bridge_cancel).
	for _, b := range res.Bridges {
		if b.From == partition.Go || !opts.InProcess {
			if err := injectExtension(res.Go, bridgectxext.Type.String(), nil); err != nil {
				return nil, nil, err
			}
			break
		}
	}
	tel, warnings := rustTelemetry(user, build)
	if len(tel) > 0 {
		svc, _ := res.Rust["service"].(map[string]any)
		svc["telemetry"] = tel
	}
	return res, warnings, nil
}

// requirePipelines keeps the collector's own rule for the user's config: the
// service.AllowNoPipelines gate we turn on is meant only for the Go half of an
// all-Rust config, never for a config that runs nothing.
func requirePipelines(user map[string]any) error {
	svc, _ := user["service"].(map[string]any)
	if p, _ := svc["pipelines"].(map[string]any); len(p) == 0 {
		return fmt.Errorf("service::pipelines: service must have at least one pipeline")
	}
	return nil
}

// userSubprocess is the operator's extensions.rust_subprocess, decoded over
// the extension's defaults as the collector decodes it when it builds the
// extension: the converter needs some of its settings before that. A setting
// of the wrong type fails here, in one line naming the setting.
func userSubprocess(user map[string]any) (*subprocessext.Config, error) {
	cfg := subprocessext.NewFactory().CreateDefaultConfig().(*subprocessext.Config)
	key := "extensions::" + subprocessext.Type.String()
	conf := operatorSection(user)
	if !conf.IsSet(key) {
		return cfg, nil
	}
	sub, err := conf.Sub(key)
	if err == nil {
		err = sub.Unmarshal(cfg)
	}
	if err != nil {
		return nil, fieldErrors(key, err)
	}
	return cfg, nil
}

// fieldErrors turns confmap's decoding error (a preamble, then one
// "'field' problem" line per setting) into one line per setting, each
// naming its full path under key, as the collector names config errors.
func fieldErrors(key string, err error) error {
	var parts []string
	for _, l := range strings.Split(err.Error(), "\n") {
		l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "*"))
		if l == "" || strings.HasPrefix(l, "decoding failed due to") {
			continue
		}
		if rest, ok := strings.CutPrefix(l, "'"); ok {
			if field, problem, ok := strings.Cut(rest, "' "); ok {
				l = key + "::" + strings.ReplaceAll(field, ".", "::") + ": " + problem
			}
		}
		parts = append(parts, l)
	}
	if len(parts) == 0 {
		return fmt.Errorf("%s: %w", key, err)
	}
	return errors.New(strings.Join(parts, "; "))
}

// userMode is how this binary runs the user's Rust components: the
// operator's extensions.rust_subprocess.mode (auto by default) resolved
// against what this binary links.
func userMode(user map[string]any) (mode.Mode, error) {
	sub, err := userSubprocess(user)
	if err != nil {
		return "", err
	}
	m, err := mode.Select(sub.Mode, mode.CgoEnabled)
	if err != nil {
		return "", fmt.Errorf("extensions::%s::mode: %w", subprocessext.Type, err)
	}
	return m, nil
}

// userRustLogs is the operator's extensions.rust_subprocess.logs as written
// (nil when unset), which the embedded half decodes as the child's
// extension does.
func userRustLogs(user map[string]any) any {
	return operatorSection(user).Get("extensions::" + subprocessext.Type.String() + "::logs")
}

// operatorSection is the user's config cut down to extensions.rust_subprocess,
// under the same keys: a confmap deep-copies what it is made from, and the
// whole config, read three times for this one section, made a start with a
// few hundred components pay for those copies.
func operatorSection(user map[string]any) *confmap.Conf {
	section := map[string]any{}
	if exts, ok := user["extensions"].(map[string]any); ok {
		if sub, ok := exts[subprocessext.Type.String()]; ok {
			section["extensions"] = map[string]any{subprocessext.Type.String(): sub}
		}
	}
	return confmap.NewFromStringMap(section)
}

// maxRustWorkerThreads is the Rust half's own bound on service.worker_threads.
const maxRustWorkerThreads = 1024

// partitionSettings are the partitioner options the operator sets in
// extensions.rust_subprocess: bridge_timeout (0: the partitioner's default),
// memory_limit_mib (0: the Rust half's default), worker_threads (0: chosen
// from GOMAXPROCS) and receiver_placement.
func partitionSettings(sub *subprocessext.Config, opts *partition.Options) error {
	if sub.BridgeTimeout < 0 {
		return fmt.Errorf("extensions::%s::bridge_timeout: must not be negative, got %s", subprocessext.Type, sub.BridgeTimeout)
	}
	if sub.MemoryLimitMiB < 0 {
		return fmt.Errorf("extensions::%s::memory_limit_mib: %d is not a positive whole number of MiB", subprocessext.Type, sub.MemoryLimitMiB)
	}
	if sub.WorkerThreads < 0 || sub.WorkerThreads > maxRustWorkerThreads {
		return fmt.Errorf("extensions::%s::worker_threads: %d is not between 1 and %d (0 or unset: chosen from the CPUs)", subprocessext.Type, sub.WorkerThreads, maxRustWorkerThreads)
	}
	opts.RustWorkerThreads = sub.WorkerThreads
	opts.CPUs = runtime.GOMAXPROCS(0)
	opts.BridgeTimeout = sub.BridgeTimeout
	opts.RustMemoryLimitMiB = sub.MemoryLimitMiB
	opts.KeepReceiversInGo = !sub.ReceiverPlacement
	return nil
}

// PartitionOptions are the partitioner options for this process: sockets in
// the private runtime dir or loopback ports (transport, see userTransport),
// every bridge and the health listener authenticated with the process's
// bridge secret (bridge_context sends and checks it on the Go side, the
// child gets it on its stdin).
func PartitionOptions(transport string) partition.Options {
	return partition.Options{
		SocketDir: runtimedir.Path(), Transport: transport, TCPAddr: freeLoopbackAddr,
		GOOS: runtime.GOOS, GoBridgeMiddleware: bridgectxext.Type.String(),
		GoBridgeProcessor: bridgecancel.Type.String(),
	}
}

// userTransport is the operator's extensions.rust_subprocess.transport
// (unix | tcp), or the platform table's default: tcp on Windows, unix
// elsewhere. Unix sockets are refused where the child cannot listen on them.
func userTransport(user map[string]any, goos, goarch string) (string, error) {
	sub, err := userSubprocess(user)
	if err != nil {
		return "", err
	}
	return resolveTransport(sub.Transport, goos, goarch)
}

func resolveTransport(v, goos, goarch string) (string, error) {
	def := platforms.TransportUnix
	if p, ok := platforms.Lookup(goos, goarch); ok && p.Transport != "" {
		def = p.Transport
	} else if goos == "windows" {
		def = platforms.TransportTCP
	}
	switch v {
	case "":
		return def, nil
	case platforms.TransportTCP:
		return platforms.TransportTCP, nil
	case platforms.TransportUnix:
		if goos == "windows" {
			return "", fmt.Errorf("extensions::%s::transport: unix sockets are not available to otelcol-rust on windows; use tcp", subprocessext.Type)
		}
		return platforms.TransportUnix, nil
	default:
		return "", fmt.Errorf("extensions::%s::transport: %v is not one of unix, tcp", subprocessext.Type, v)
	}
}

// injectExtension makes sure extension id is defined (keeping any settings the
// user gave it, with set overriding) and enabled, ahead of the user's extensions
// so that it starts before any component that relies on it.
func injectExtension(goHalf map[string]any, id string, set map[string]any) error {
	exts, _ := goHalf["extensions"].(map[string]any)
	if exts == nil {
		exts = map[string]any{}
		goHalf["extensions"] = exts
	}
	cfg, _ := exts[id].(map[string]any)
	if cfg == nil {
		cfg = map[string]any{}
	}
	for k, v := range set {
		cfg[k] = v
	}
	exts[id] = cfg

	svc, _ := goHalf["service"].(map[string]any)
	if svc == nil {
		return fmt.Errorf("config has no service section")
	}
	list, _ := svc["extensions"].([]any)
	for _, e := range list {
		if e == id {
			return nil
		}
	}
	svc["extensions"] = append([]any{id}, list...)
	return nil
}
