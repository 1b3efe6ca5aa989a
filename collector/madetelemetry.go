package collector

import (
	"context"
	"slices"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/xconsumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/xexporter"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/pipeline"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/xprocessor"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/xreceiver"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/otelcol-hybrid/otelcol-hybrid/partition"
	"github.com/otelcol-hybrid/otelcol-hybrid/processor/bridgecancel"
)

// madeComponents are the Go components the partitioner wrote into the Go
// half of the config being run (partition.Result.GoMade): bridge ends and the
// bridge processor. The converter records them and the factories of their
// types consult them when the service creates a component, so the same
// factory builds a user's otlp receiver as usual and a bridge's otlp
// receiver without a MeterProvider.
//
// Why: a crossing is not part of the user's pipeline. On the collector's
// standard series (otelcol_exporter_sent_*, otelcol_receiver_accepted_*, …)
// a bridge end would count every item a second time, so a sum over the
// exporters counts each crossing twice. The bridge's own series is its
// hop-latency histogram, which the Rust half's extension records.
type madeComponents struct {
	mu  sync.RWMutex
	ids map[component.Kind]map[component.ID]bool
}

var partitionKinds = map[partition.Kind]component.Kind{
	partition.Receiver:  component.KindReceiver,
	partition.Processor: component.KindProcessor,
	partition.Exporter:  component.KindExporter,
	partition.Connector: component.KindConnector,
	partition.Extension: component.KindExtension,
}

// record replaces the set with the ids of one partition (the config the
// service is about to build; a reload partitions again first).
func (m *madeComponents) record(made map[partition.Kind][]string) {
	ids := map[component.Kind]map[component.ID]bool{}
	for kind, list := range made {
		k := partitionKinds[kind]
		for _, s := range list {
			var id component.ID
			if err := id.UnmarshalText([]byte(s)); err != nil {
				continue // not an id the service could build either
			}
			if ids[k] == nil {
				ids[k] = map[component.ID]bool{}
			}
			ids[k][id] = true
		}
	}
	m.mu.Lock()
	m.ids = ids
	m.mu.Unlock()
}

func (m *madeComponents) has(kind component.Kind, id component.ID) bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.ids[kind][id]
}

// telemetry is what component id of kind is built with: the service's
// settings, with a MeterProvider that records nothing when the partitioner
// made it. Its logger and tracer stay: its log lines and spans name it as a
// bridge, and the spans carry the trace across the crossing.
func (m *madeComponents) telemetry(kind component.Kind, id component.ID, ts component.TelemetrySettings) component.TelemetrySettings {
	if m.has(kind, id) {
		ts.MeterProvider = noop.NewMeterProvider()
	}
	return ts
}

// wrapMadeFactories puts a consulting factory in place of each factory
// whose type a partitioner-made component can have (under every key it is
// registered with, deprecated aliases included).
func wrapMadeFactories(f otelcol.Factories, m *madeComponents) otelcol.Factories {
	types := partition.GoBridgeTypes()
	is := func(kind partition.Kind, t component.Type) bool { return slices.Contains(types[kind], t.String()) }
	for k, rf := range f.Receivers {
		if is(partition.Receiver, rf.Type()) {
			f.Receivers[k] = madeReceiverFactory{rf, m}
		}
	}
	for k, ef := range f.Exporters {
		if is(partition.Exporter, ef.Type()) {
			f.Exporters[k] = madeExporterFactory{ef, m}
		}
	}
	for k, pf := range f.Processors {
		if pf.Type() == bridgecancel.Type {
			f.Processors[k] = madeProcessorFactory{pf, m}
		}
	}
	return f
}

// deprecatedAlias is the collector's optional factory interface for a type's
// former name (the otlp_grpc exporter answers to "otlp" too).
type deprecatedAlias interface{ DeprecatedAlias() component.Type }

func aliasOf(f any) component.Type {
	if a, ok := f.(deprecatedAlias); ok {
		return a.DeprecatedAlias()
	}
	return component.Type{}
}

// madeExporterFactory delegates everything to the wrapped factory; only the
// settings of a partitioner-made exporter differ.
type madeExporterFactory struct {
	exporter.Factory
	made *madeComponents
}

func (f madeExporterFactory) settings(set exporter.Settings) exporter.Settings {
	set.TelemetrySettings = f.made.telemetry(component.KindExporter, set.ID, set.TelemetrySettings)
	return set
}

func (f madeExporterFactory) CreateTraces(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Traces, error) {
	return f.Factory.CreateTraces(ctx, f.settings(set), cfg)
}

func (f madeExporterFactory) CreateMetrics(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Metrics, error) {
	return f.Factory.CreateMetrics(ctx, f.settings(set), cfg)
}

func (f madeExporterFactory) CreateLogs(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Logs, error) {
	return f.Factory.CreateLogs(ctx, f.settings(set), cfg)
}

func (f madeExporterFactory) CreateProfiles(ctx context.Context, set exporter.Settings, cfg component.Config) (xexporter.Profiles, error) {
	if x, ok := f.Factory.(xexporter.Factory); ok {
		return x.CreateProfiles(ctx, f.settings(set), cfg)
	}
	return nil, pipeline.ErrSignalNotSupported
}

func (f madeExporterFactory) ProfilesStability() component.StabilityLevel {
	if x, ok := f.Factory.(xexporter.Factory); ok {
		return x.ProfilesStability()
	}
	return component.StabilityLevelUndefined
}

func (f madeExporterFactory) DeprecatedAlias() component.Type { return aliasOf(f.Factory) }

// madeReceiverFactory: see madeExporterFactory.
type madeReceiverFactory struct {
	receiver.Factory
	made *madeComponents
}

func (f madeReceiverFactory) settings(set receiver.Settings) receiver.Settings {
	set.TelemetrySettings = f.made.telemetry(component.KindReceiver, set.ID, set.TelemetrySettings)
	return set
}

func (f madeReceiverFactory) CreateTraces(ctx context.Context, set receiver.Settings, cfg component.Config, next consumer.Traces) (receiver.Traces, error) {
	return f.Factory.CreateTraces(ctx, f.settings(set), cfg, next)
}

func (f madeReceiverFactory) CreateMetrics(ctx context.Context, set receiver.Settings, cfg component.Config, next consumer.Metrics) (receiver.Metrics, error) {
	return f.Factory.CreateMetrics(ctx, f.settings(set), cfg, next)
}

func (f madeReceiverFactory) CreateLogs(ctx context.Context, set receiver.Settings, cfg component.Config, next consumer.Logs) (receiver.Logs, error) {
	return f.Factory.CreateLogs(ctx, f.settings(set), cfg, next)
}

func (f madeReceiverFactory) CreateProfiles(ctx context.Context, set receiver.Settings, cfg component.Config, next xconsumer.Profiles) (xreceiver.Profiles, error) {
	if x, ok := f.Factory.(xreceiver.Factory); ok {
		return x.CreateProfiles(ctx, f.settings(set), cfg, next)
	}
	return nil, pipeline.ErrSignalNotSupported
}

func (f madeReceiverFactory) ProfilesStability() component.StabilityLevel {
	if x, ok := f.Factory.(xreceiver.Factory); ok {
		return x.ProfilesStability()
	}
	return component.StabilityLevelUndefined
}

func (f madeReceiverFactory) DeprecatedAlias() component.Type { return aliasOf(f.Factory) }

// madeProcessorFactory: see madeExporterFactory.
type madeProcessorFactory struct {
	processor.Factory
	made *madeComponents
}

func (f madeProcessorFactory) settings(set processor.Settings) processor.Settings {
	set.TelemetrySettings = f.made.telemetry(component.KindProcessor, set.ID, set.TelemetrySettings)
	return set
}

func (f madeProcessorFactory) CreateTraces(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Traces) (processor.Traces, error) {
	return f.Factory.CreateTraces(ctx, f.settings(set), cfg, next)
}

func (f madeProcessorFactory) CreateMetrics(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Metrics) (processor.Metrics, error) {
	return f.Factory.CreateMetrics(ctx, f.settings(set), cfg, next)
}

func (f madeProcessorFactory) CreateLogs(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Logs) (processor.Logs, error) {
	return f.Factory.CreateLogs(ctx, f.settings(set), cfg, next)
}

func (f madeProcessorFactory) CreateProfiles(ctx context.Context, set processor.Settings, cfg component.Config, next xconsumer.Profiles) (xprocessor.Profiles, error) {
	if x, ok := f.Factory.(xprocessor.Factory); ok {
		return x.CreateProfiles(ctx, f.settings(set), cfg, next)
	}
	return nil, pipeline.ErrSignalNotSupported
}

func (f madeProcessorFactory) ProfilesStability() component.StabilityLevel {
	if x, ok := f.Factory.(xprocessor.Factory); ok {
		return x.ProfilesStability()
	}
	return component.StabilityLevelUndefined
}

func (f madeProcessorFactory) DeprecatedAlias() component.Type { return aliasOf(f.Factory) }
