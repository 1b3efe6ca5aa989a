// Program otelcol-hybrid is an OpenTelemetry Collector whose pipelines mix Go
// components (in this process) and Rust components (in an embedded, supervised
// otelcol-rust child process), from one configuration.
package main

import (
	"os"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/confmap/provider/httpprovider"
	"go.opentelemetry.io/collector/confmap/provider/yamlprovider"
	"go.opentelemetry.io/collector/otelcol"

	"github.com/otelcol-hybrid/otelcol-hybrid/collector"
)

// version is set at release time with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

func main() {
	set := otelcol.CollectorSettings{
		BuildInfo: component.BuildInfo{
			Command:     "otelcol-hybrid",
			Description: "OpenTelemetry Collector with Go and Rust components in one pipeline",
			Version:     version,
		},
		Factories: components,
		ConfigProviderSettings: otelcol.ConfigProviderSettings{
			ResolverSettings: confmap.ResolverSettings{
				ProviderFactories: []confmap.ProviderFactory{
					envprovider.NewFactory(),
					fileprovider.NewFactory(),
					httpprovider.NewFactory(),
					yamlprovider.NewFactory(),
				},
			},
		},
		ProviderModules: map[string]string{
			"env":  "go.opentelemetry.io/collector/confmap/provider/envprovider v1.68.0",
			"file": "go.opentelemetry.io/collector/confmap/provider/fileprovider v1.68.0",
			"http": "go.opentelemetry.io/collector/confmap/provider/httpprovider v1.68.0",
			"yaml": "go.opentelemetry.io/collector/confmap/provider/yamlprovider v1.68.0",
		},
	}
	if err := collector.NewCommand(set).Execute(); err != nil {
		// cobra has already printed the error.
		os.Exit(1)
	}
}
