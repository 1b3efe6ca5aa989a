// Package collector glues the partitioner, the subprocess extension and the
// embedded Rust collector into the Go collector's command line.
package collector

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/featuregate"
	"go.opentelemetry.io/collector/otelcol"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.yaml.in/yaml/v3"

	"github.com/otelcol-hybrid/otelcol-hybrid/collector/mode"
	"github.com/otelcol-hybrid/otelcol-hybrid/embedded"
	"github.com/otelcol-hybrid/otelcol-hybrid/internal/startupgc"
	"github.com/otelcol-hybrid/otelcol-hybrid/partition"
)

// NewCommand is otelcol.NewCommand with the partitioning converter installed,
// `components` listing each component's runtime, and a `partition` subcommand.
func NewCommand(set otelcol.CollectorSettings) *cobra.Command {
	userResolver := set.ConfigProviderSettings.ResolverSettings // before our converter: the config as written
	set, catalog := prepare(set)
	cmd := otelcol.NewCommand(set)
	cmd.Version = set.BuildInfo.Version + " (Rust components: " + describeMode(defaultMode()) + ")"
	for _, c := range cmd.Commands() {
		if c.Name() == "components" {
			cmd.RemoveCommand(c)
		}
	}
	cmd.AddCommand(newComponentsCommand(set, catalog), newPartitionCommand(set, userResolver, catalog))
	return cmd
}

// prepare installs what every entry point (the command line, the Windows
// service handler) needs: the partitioning converter over the runtime catalog.
func prepare(set otelcol.CollectorSettings) (otelcol.CollectorSettings, func() (*partition.Catalog, error)) {
	// An embedded build adds its in-process bridge ends and the extension
	// running the Rust half; any other build adds nothing. The factories of
	// the types bridges are made of build the partitioner's own components
	// (which the converter records) without metrics: see madeComponents.
	made := &madeComponents{}
	factories := set.Factories
	set.Factories = func() (otelcol.Factories, error) {
		f, err := factories()
		if err != nil {
			return f, err
		}
		return wrapMadeFactories(embedded.AddFactories(f), made), nil
	}
	catalog := sync.OnceValues(func() (*partition.Catalog, error) {
		f, err := set.Factories()
		if err != nil {
			return nil, err
		}
		return NewCatalog(f)
	})
	rs := &set.ConfigProviderSettings.ResolverSettings
	rs.ConverterFactories = append(slices.Clip(rs.ConverterFactories), newConverterFactory(catalog, set.BuildInfo, made))
	set.ConverterModules = append(slices.Clip(set.ConverterModules), "github.com/otelcol-hybrid/otelcol-hybrid/collector (partitioner)")

	// The collector has built itself when the service says it is ready:
	// the garbage collector goes back to the operator's setting then.
	set.LoggingOptions = append(slices.Clip(set.LoggingOptions), zap.WrapCore(func(c zapcore.Core) zapcore.Core { return readyWatch{c} }))

	// An all-Rust config leaves the Go half with no pipeline of its own (only
	// the extension running the child); the partitioner itself refuses a user
	// config without pipelines, so this gate only admits that case.
	if err := featuregate.GlobalRegistry().Set("service.AllowNoPipelines", true); err != nil {
		panic(err)
	}
	defaultOn(featuregate.GlobalRegistry(), healthCheckComponentStatus)
	return set, catalog
}

// healthCheckComponentStatus makes the contrib health_check extension
// answer from component status, where the Rust half reports a child that is
// down, restarting or crash-looping (see README "Watching the Rust half").
// Its legacy implementation follows only the pipelines' start and stop, so
// an operator watching it would never see the Rust half fail. It is on by
// default here; `--feature-gates=-extension.healthcheck.useComponentStatus`
// still turns it off.
const healthCheckComponentStatus = "extension.healthcheck.useComponentStatus"

// defaultOn enables gate id when the distribution registers it (a build
// without health_check does not), before the command parses
// --feature-gates, so an operator's setting there wins.
func defaultOn(reg *featuregate.Registry, id string) {
	found := false
	reg.VisitAll(func(g *featuregate.Gate) { found = found || g.ID() == id })
	if !found {
		return
	}
	if err := reg.Set(id, true); err != nil {
		panic(err)
	}
}

// serviceReady is the line the collector's service logs once every
// component has started.
const serviceReady = "Everything is ready. Begin running and processing data."

// readyWatch ends the start-up GC setting when the service's ready line is
// logged. It watches in Check and passes every call through: zap.Hooks would
// not do, because its core's Write drops entries, and the Rust half's
// unsampled lines are written to the logger's core directly.
type readyWatch struct{ zapcore.Core }

func (w readyWatch) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if e.Message == serviceReady {
		startupgc.Done()
	}
	return w.Core.Check(e, ce)
}

func (w readyWatch) With(fields []zapcore.Field) zapcore.Core {
	return readyWatch{w.Core.With(fields)}
}

// componentRow is one line of `components`: the collector's listing plus the runtime.
type componentRow struct {
	Type      string            `yaml:"type"`
	Runtime   string            `yaml:"runtime"`
	Signals   []string          `yaml:"signals,omitempty"`
	Module    string            `yaml:"module,omitempty"`
	Stability map[string]string `yaml:"stability,omitempty"`
	Native    string            `yaml:"native_type,omitempty"`
}

func newComponentsCommand(set otelcol.CollectorSettings, catalog func() (*partition.Catalog, error)) *cobra.Command {
	return &cobra.Command{
		Use:   "components",
		Short: "Outputs the components of this distribution with their runtime (go or rust)",
		Args:  cobra.ExactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cat, err := catalog()
			if err != nil {
				return err
			}
			f, err := set.Factories()
			if err != nil {
				return err
			}
			out := map[string]any{"buildinfo": map[string]string{
				"command": set.BuildInfo.Command, "description": set.BuildInfo.Description, "version": set.BuildInfo.Version,
				"rust_mode": describeMode(defaultMode()),
			}}
			groups := map[partition.Kind][]componentRow{}
			for _, c := range cat.Components() {
				row := componentRow{Type: c.Type, Runtime: string(c.Runtime), Signals: c.Signals}
				if c.Runtime == partition.Rust {
					row.Module = rustModule
					if c.NativeType != "" && c.NativeType != c.Type {
						row.Native = c.NativeType
					}
				} else {
					row.Module = goModule(f, c.Kind, c.Type)
				}
				groups[c.Kind] = append(groups[c.Kind], row)
			}
			for kind, rows := range groups {
				sort.Slice(rows, func(i, j int) bool { return rows[i].Type < rows[j].Type })
				out[string(kind)+"s"] = rows
			}
			data, err := yaml.Marshal(out)
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(data)
			return err
		},
	}
}

func newPartitionCommand(set otelcol.CollectorSettings, rs confmap.ResolverSettings, catalog func() (*partition.Catalog, error)) *cobra.Command {
	var uris []string
	var out, modeFlag string
	c := &cobra.Command{
		Use:   "partition --config FILE --out DIR",
		Short: "Writes the Go half (DIR/go.yaml) and the Rust half (DIR/rust.yaml) of a config",
		Args:  cobra.ExactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(uris) == 0 {
				return errors.New("--config is required")
			}
			if out == "" {
				return errors.New("--out is required")
			}
			rs.URIs = uris
			if rs.DefaultScheme == "" {
				rs.DefaultScheme = "env"
			}
			resolver, err := confmap.NewResolver(rs)
			if err != nil {
				return err
			}
			conf, err := resolver.Resolve(context.Background())
			if err != nil {
				return fmt.Errorf("reading %s: %w", strings.Join(uris, ", "), err)
			}
			cat, err := catalog()
			if err != nil {
				return err
			}
			// go.yaml stays a config the Go collector accepts; the
			// rust_subprocess extension that carries rust.yaml is added by
			// the converter at run time.
			user := conf.ToStringMap()
			m := mode.Mode(modeFlag)
			if m == "" {
				if m, err = userMode(user); err != nil {
					return err
				}
			} else if m != mode.ModeEmbedded && m != mode.ModeSubprocess {
				return fmt.Errorf("--mode %q is neither embedded nor subprocess", modeFlag)
			}
			res, warnings, err := split(user, cat, set.BuildInfo, m)
			if err != nil {
				return err
			}
			for _, w := range warnings {
				if _, err := fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w); err != nil {
					return err
				}
			}
			if err := os.MkdirAll(out, 0o700); err != nil {
				return err
			}
			if err := partition.WriteFiles(res, out); err != nil {
				return err
			}
			var summary strings.Builder
			fmt.Fprintf(&summary, "mode: %s\n", describeMode(m))
			fmt.Fprintf(&summary, "wrote %s/go.yaml", out)
			if res.Rust != nil {
				plural := "s"
				if len(res.Bridges) == 1 {
					plural = ""
				}
				fmt.Fprintf(&summary, " and %s/rust.yaml (%d bridge%s)", out, len(res.Bridges), plural)
			} else {
				summary.WriteString(" (all-Go config: no Rust half, no subprocess)")
			}
			summary.WriteString("\n")
			for _, p := range res.Placements {
				fmt.Fprintln(&summary, p)
			}
			_, err = io.WriteString(cmd.OutOrStdout(), summary.String())
			return err
		},
	}
	c.Flags().StringArrayVar(&uris, "config", nil, "config URI or file (repeatable, merged in order)")
	c.Flags().StringVar(&out, "out", "", "directory to write go.yaml and rust.yaml into")
	c.Flags().StringVar(&modeFlag, "mode", "", "partition for embedded or subprocess mode (default: the mode this binary runs the config in)")
	return c
}

func goModule(f otelcol.Factories, kind partition.Kind, typ string) string {
	switch kind {
	case partition.Receiver:
		return moduleOf(f.ReceiverModules, typ)
	case partition.Processor:
		return moduleOf(f.ProcessorModules, typ)
	case partition.Exporter:
		return moduleOf(f.ExporterModules, typ)
	case partition.Connector:
		return moduleOf(f.ConnectorModules, typ)
	case partition.Extension:
		return moduleOf(f.ExtensionModules, typ)
	}
	return ""
}

func moduleOf[K interface {
	comparable
	fmt.Stringer
}](m map[K]string, typ string) string {
	for k, v := range m {
		if k.String() == typ {
			return v
		}
	}
	return ""
}

// rustModule is where `components` says the Rust components come from.
var rustModule = map[bool]string{
	true:  "otelcol-ffi (linked in-process)",
	false: "otelcol-rust (embedded executable, run as a child)",
}[mode.EmbeddedLinked]

// defaultMode is the mode this binary runs a config in when the config
// does not ask for one.
func defaultMode() mode.Mode {
	m, err := mode.Select("", mode.CgoEnabled)
	if err != nil {
		return mode.ModeSubprocess
	}
	return m
}

// describeMode says what a mode means for the process, for --version,
// `components` and `partition`.
func describeMode(m mode.Mode) string {
	if m == mode.ModeEmbedded {
		return "embedded (linked into this process, bridges are in-process calls)"
	}
	return "subprocess (a supervised otelcol-rust child, bridges are OTLP/gRPC on private sockets)"
}
