package main

import (
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/connector/forwardconnector"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/debugexporter"
	"go.opentelemetry.io/collector/exporter/otlpexporter"
	"go.opentelemetry.io/collector/exporter/otlphttpexporter"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/zpagesextension"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/batchprocessor"
	"go.opentelemetry.io/collector/processor/memorylimiterprocessor"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"

	"github.com/otelcol-hybrid/otelcol-hybrid/collector/bridgectxext"
	"github.com/otelcol-hybrid/otelcol-hybrid/collector/subprocessext"
)

// components lists the Go half of the distribution. The Rust half comes from
// the embedded otelcol-rust (collector/rust_components.json).
func components() (otelcol.Factories, error) {
	var err error
	f := otelcol.Factories{Telemetry: otelconftelemetry.NewFactory()}
	if f.Extensions, err = otelcol.MakeFactoryMap[extension.Factory](
		zpagesextension.NewFactory(),
		subprocessext.NewFactory(),
		bridgectxext.NewFactory(),
	); err != nil {
		return otelcol.Factories{}, err
	}
	if f.Receivers, err = otelcol.MakeFactoryMap[receiver.Factory](
		otlpreceiver.NewFactory(),
	); err != nil {
		return otelcol.Factories{}, err
	}
	if f.Processors, err = otelcol.MakeFactoryMap[processor.Factory](
		batchprocessor.NewFactory(),
		memorylimiterprocessor.NewFactory(),
	); err != nil {
		return otelcol.Factories{}, err
	}
	if f.Exporters, err = otelcol.MakeFactoryMap[exporter.Factory](
		otlpexporter.NewFactory(),
		otlphttpexporter.NewFactory(),
		debugexporter.NewFactory(),
	); err != nil {
		return otelcol.Factories{}, err
	}
	if f.Connectors, err = otelcol.MakeFactoryMap[connector.Factory](
		forwardconnector.NewFactory(),
	); err != nil {
		return otelcol.Factories{}, err
	}
	const core = "go.opentelemetry.io/collector/"
	f.ReceiverModules = map[component.Type]string{otlpreceiver.NewFactory().Type(): core + "receiver/otlpreceiver v0.162.0"}
	f.ProcessorModules = map[component.Type]string{
		batchprocessor.NewFactory().Type():         core + "processor/batchprocessor v0.162.0",
		memorylimiterprocessor.NewFactory().Type(): core + "processor/memorylimiterprocessor v0.162.0",
	}
	f.ExporterModules = map[component.Type]string{
		otlpexporter.NewFactory().Type():     core + "exporter/otlpexporter v0.162.0",
		otlphttpexporter.NewFactory().Type(): core + "exporter/otlphttpexporter v0.162.0",
		debugexporter.NewFactory().Type():    core + "exporter/debugexporter v0.162.0",
	}
	f.ExtensionModules = map[component.Type]string{
		zpagesextension.NewFactory().Type(): core + "extension/zpagesextension v0.162.0",
		subprocessext.NewFactory().Type():   "github.com/otelcol-hybrid/otelcol-hybrid/collector/subprocessext",
		bridgectxext.NewFactory().Type():    "github.com/otelcol-hybrid/otelcol-hybrid/collector/bridgectxext",
	}
	f.ConnectorModules = map[component.Type]string{forwardconnector.NewFactory().Type(): core + "connector/forwardconnector v0.162.0"}
	f.ExporterModules = withAliases(f.Exporters, f.ExporterModules)
	return f, nil
}

// withAliases gives a deprecated alias (otlp for otlp_grpc) its factory's module.
func withAliases[T component.Factory](factories map[component.Type]T, modules map[component.Type]string) map[component.Type]string {
	for typ, f := range factories {
		if _, ok := modules[typ]; !ok {
			modules[typ] = modules[f.Type()]
		}
	}
	return modules
}
