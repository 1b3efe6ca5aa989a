package collector

import (
	"context"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/otlpexporter"
	"go.opentelemetry.io/collector/exporter/xexporter"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/receiver/xreceiver"
	"go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.yaml.in/yaml/v3"

	"github.com/otelcol-hybrid/otelcol-hybrid/processor/bridgecancel"
)

// madeTestConfig crosses twice (the Go otlp receiver → Rust filter → the Go
// exporter) and names the user's exporter bridge_1, the name the first
// bridge would otherwise get: the bridges become bridge_2 (Go → Rust) and
// bridge_3 (Rust → Go).
const madeTestConfig = `
extensions: {rust_subprocess: {receiver_placement: false}}
receivers: {otlp: {protocols: {grpc: {endpoint: "127.0.0.1:0"}}}}
processors: {advanced_filter/x: {}}
exporters: {otlp_grpc/bridge_1: {endpoint: "127.0.0.1:1"}}
service: {pipelines: {metrics: {receivers: [otlp], processors: [advanced_filter/x], exporters: [otlp_grpc/bridge_1]}}}`

// preparedFactories runs prepare over factories, converts madeTestConfig
// with the converter it installs, and returns the factories the service
// would then build the Go half with, and the Go half.
func preparedFactories(t *testing.T, factories otelcol.Factories) (otelcol.Factories, map[string]any) {
	t.Helper()
	set, _ := prepare(otelcol.CollectorSettings{Factories: func() (otelcol.Factories, error) { return factories, nil }})
	convs := set.ConfigProviderSettings.ResolverSettings.ConverterFactories
	var user map[string]any
	if err := yaml.Unmarshal([]byte(madeTestConfig), &user); err != nil {
		t.Fatal(err)
	}
	conf := confmap.NewFromStringMap(user)
	if err := convs[len(convs)-1].Create(confmap.ConverterSettings{Logger: zap.NewNop()}).Convert(context.Background(), conf); err != nil {
		t.Fatal(err)
	}
	f, err := set.Factories()
	if err != nil {
		t.Fatal(err)
	}
	return f, conf.ToStringMap()
}

// TestPartitionerMadeComponentsGetNoMeterProvider: of the components the
// Go half is built from, exactly the partitioner's bridge ends and
// bridge_cancel are created with a MeterProvider that records nothing, and
// with the service's own logger and tracer; the user's components of the
// same types — the user's otlp_grpc/bridge_1 included — get the service's
// MeterProvider.
func TestPartitionerMadeComponentsGetNoMeterProvider(t *testing.T) {
	got := map[string]component.TelemetrySettings{}
	capture := func(kind string, set component.TelemetrySettings, id component.ID) {
		got[kind+" "+id.String()] = set
	}
	expType, recvType := component.MustNewType("otlp_grpc"), component.MustNewType("otlp")
	f := otelcol.Factories{
		Receivers: map[component.Type]receiver.Factory{recvType: receiver.NewFactory(recvType, func() component.Config { return &struct{}{} },
			receiver.WithMetrics(func(_ context.Context, set receiver.Settings, _ component.Config, _ consumer.Metrics) (receiver.Metrics, error) {
				capture("receiver", set.TelemetrySettings, set.ID)
				return nil, nil
			}, component.StabilityLevelBeta))},
		Exporters: map[component.Type]exporter.Factory{expType: exporter.NewFactory(expType, func() component.Config { return &struct{}{} },
			exporter.WithMetrics(func(_ context.Context, set exporter.Settings, _ component.Config) (exporter.Metrics, error) {
				capture("exporter", set.TelemetrySettings, set.ID)
				return nil, nil
			}, component.StabilityLevelBeta))},
		Processors: map[component.Type]processor.Factory{bridgecancel.Type: processor.NewFactory(bridgecancel.Type, func() component.Config { return &struct{}{} },
			processor.WithMetrics(func(_ context.Context, set processor.Settings, _ component.Config, _ consumer.Metrics) (processor.Metrics, error) {
				capture("processor", set.TelemetrySettings, set.ID)
				return nil, nil
			}, component.StabilityLevelBeta))},
	}
	f, goHalf := preparedFactories(t, f)

	tel := componenttest.NewNopTelemetrySettings()
	tel.Logger = zap.NewExample()
	tel.MeterProvider = sdkmetric.NewMeterProvider()
	ctx, sink := context.Background(), new(consumertest.MetricsSink)
	for _, id := range []string{"otlp", "otlp/bridge_3"} {
		if _, err := f.Receivers[recvType].CreateMetrics(ctx, receiver.Settings{ID: mustID(t, id), TelemetrySettings: tel}, nil, sink); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"otlp_grpc/bridge_1", "otlp_grpc/bridge_2"} {
		if _, err := f.Exporters[expType].CreateMetrics(ctx, exporter.Settings{ID: mustID(t, id), TelemetrySettings: tel}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.Processors[bridgecancel.Type].CreateMetrics(ctx, processor.Settings{ID: component.NewID(bridgecancel.Type), TelemetrySettings: tel}, nil, sink); err != nil {
		t.Fatal(err)
	}

	for key, made := range map[string]bool{
		"receiver otlp": false, "receiver otlp/bridge_3": true,
		"exporter otlp_grpc/bridge_1": false, "exporter otlp_grpc/bridge_2": true,
		"processor bridge_cancel": true,
	} {
		s, ok := got[key]
		if !ok {
			t.Errorf("%s was not created through the wrapped factory", key)
			continue
		}
		_, isNoop := s.MeterProvider.(noop.MeterProvider)
		if isNoop != made {
			t.Errorf("%s: no-op MeterProvider %v, want %v (Go half:\n%v)", key, isNoop, made, goHalf["service"])
		}
		if s.Logger != tel.Logger || s.TracerProvider != tel.TracerProvider {
			t.Errorf("%s: the logger or tracer provider was replaced", key)
		}
	}
}

// TestWrappedStockFactoriesKeepAliasAndProfiles: the distribution's stock
// otlp_grpc exporter still answers to its deprecated alias "otlp" (under both
// keys, wrapped) and still builds profiles, as does the otlp receiver.
func TestWrappedStockFactoriesKeepAliasAndProfiles(t *testing.T) {
	f := preparedStockOTLP(t)
	for _, key := range []string{"otlp_grpc", "otlp"} {
		e := f.Exporters[component.MustNewType(key)]
		if _, ok := e.(madeExporterFactory); !ok {
			t.Errorf("exporters[%s] is %T, not wrapped", key, e)
		}
		if a := e.(deprecatedAlias).DeprecatedAlias().String(); a != "otlp" {
			t.Errorf("exporters[%s]: deprecated alias %q, want otlp", key, a)
		}
		if x, ok := e.(xexporter.Factory); !ok || x.ProfilesStability() == component.StabilityLevelUndefined {
			t.Errorf("exporters[%s] lost profiles", key)
		}
	}
	r := f.Receivers[component.MustNewType("otlp")]
	if x, ok := r.(xreceiver.Factory); !ok || x.ProfilesStability() == component.StabilityLevelUndefined {
		t.Errorf("the otlp receiver lost profiles")
	}
}

// TestBridgeExporterRegistersNoSeries: the stock otlp_grpc exporter, built
// through the wrapped factory, registers its queue gauges on the service's
// MeterProvider for the user's exporter and nothing for the bridge.
func TestBridgeExporterRegistersNoSeries(t *testing.T) {
	f := preparedStockOTLP(t)
	reader := sdkmetric.NewManualReader()
	tel := componenttest.NewNopTelemetrySettings()
	tel.MeterProvider = sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	ef := f.Exporters[component.MustNewType("otlp_grpc")]
	for _, id := range []string{"otlp_grpc/bridge_1", "otlp_grpc/bridge_2"} {
		cfg := ef.CreateDefaultConfig().(*otlpexporter.Config)
		cfg.ClientConfig.Endpoint = "127.0.0.1:1"
		e, err := ef.CreateMetrics(context.Background(), exporter.Settings{ID: mustID(t, id), TelemetrySettings: tel}, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Start(context.Background(), componenttest.NewNopHost()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = e.Shutdown(context.Background()) })
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if g, ok := m.Data.(metricdata.Gauge[int64]); ok {
				for _, dp := range g.DataPoints {
					if v, ok := dp.Attributes.Value("exporter"); ok {
						seen[m.Name+" "+v.AsString()] = true
					}
				}
			}
		}
	}
	if !seen["otelcol_exporter_queue_capacity otlp_grpc/bridge_1"] {
		t.Errorf("the user's otlp_grpc/bridge_1 has no queue capacity gauge: %v", seen)
	}
	for k := range seen {
		if want := "otlp_grpc/bridge_2"; len(k) >= len(want) && k[len(k)-len(want):] == want {
			t.Errorf("the bridge exporter registered %s", k)
		}
	}
}

func mustID(t *testing.T, s string) component.ID {
	t.Helper()
	var id component.ID
	if err := id.UnmarshalText([]byte(s)); err != nil {
		t.Fatal(err)
	}
	return id
}

// preparedStockOTLP is the stock otlp_grpc exporter and otlp receiver as
// prepare() leaves them in a distribution: wrapped.
func preparedStockOTLP(t *testing.T) otelcol.Factories {
	t.Helper()
	f := otelcol.Factories{}
	var err error
	if f.Exporters, err = otelcol.MakeFactoryMap(otlpexporter.NewFactory()); err != nil {
		t.Fatal(err)
	}
	if f.Receivers, err = otelcol.MakeFactoryMap(otlpreceiver.NewFactory()); err != nil {
		t.Fatal(err)
	}
	f, _ = preparedFactories(t, f)
	return f
}
