package collector

import (
	"fmt"
	"net/url"
	"strings"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"

	"github.com/otelcol-hybrid/otelcol-hybrid/partition"
)

// userTelemetry is the part of the user's service::telemetry the Rust half
// follows, decoded as the collector decodes it (everything else is ignored
// here; the Go service validates it).
type userTelemetry struct {
	Logs struct {
		Level string `mapstructure:"level"`
	} `mapstructure:"logs"`
	Metrics struct {
		Level string `mapstructure:"level"`
	} `mapstructure:"metrics"`
	Traces struct {
		Level      string `mapstructure:"level"`
		Processors []struct {
			Batch  *spanProcessor `mapstructure:"batch"`
			Simple *spanProcessor `mapstructure:"simple"`
		} `mapstructure:"processors"`
	} `mapstructure:"traces"`
	// Either attribute: value pairs or `attributes: [{name, value}]`
	// (declarative form); a null value suppresses an attribute.
	Resource map[string]any `mapstructure:"resource"`
}

type spanProcessor struct {
	Exporter struct {
		OTLP *otlpSpanExporter `mapstructure:"otlp"`
	} `mapstructure:"exporter"`
}

// otlpSpanExporter is otelconf's OTLP span exporter, as far as otelcol-rust
// can follow it.
type otlpSpanExporter struct {
	Protocol    string `mapstructure:"protocol"`
	Endpoint    string `mapstructure:"endpoint"`
	Insecure    bool   `mapstructure:"insecure"`
	HeadersList string `mapstructure:"headers_list"`
	Headers     []struct {
		Name  string `mapstructure:"name"`
		Value string `mapstructure:"value"`
	} `mapstructure:"headers"`
}

// rustTelemetry derives the Rust half's service::telemetry from the user's,
// so one config governs both processes:
//   - logs.level as written (otelcol-rust accepts the Go collector's levels);
//   - metrics.level, so the Rust components count what Go's would;
//   - traces: the first OTLP/gRPC plaintext span exporter of the user's
//     service::telemetry::traces::processors becomes otelcol-rust's span
//     endpoint, with its headers, and the resource the Go spans carry
//     (service.name/version of this build plus the user's attributes), so the
//     spans the Rust half emits for a request join the Go trace as children.
//
// What otelcol-rust cannot do (TLS, OTLP/HTTP) is not guessed at: it comes
// back as a warning naming the setting, and the Rust half emits no spans. A
// telemetry section that does not decode is left to the Go service, which
// refuses it with its own error.
func rustTelemetry(user map[string]any, build component.BuildInfo) (tel map[string]any, warnings []string) {
	tel = map[string]any{}
	var u userTelemetry
	svc, _ := user["service"].(map[string]any)
	raw, _ := svc["telemetry"].(map[string]any)
	if err := confmap.NewFromStringMap(raw).Unmarshal(&u, confmap.WithIgnoreUnused()); err != nil {
		return tel, nil
	}
	if u.Logs.Level != "" {
		tel["logs"] = map[string]any{"level": u.Logs.Level}
	}
	// The Rust half counts at the user's level (none: not at all); the parent
	// serves what it counts with the Go components' metrics.
	if u.Metrics.Level != "" {
		tel["metrics"] = map[string]any{"level": strings.ToLower(u.Metrics.Level)}
	}
	if strings.EqualFold(u.Traces.Level, "none") {
		return tel, nil
	}
	for i, p := range u.Traces.Processors {
		for _, c := range []struct {
			kind string
			proc *spanProcessor
		}{{"batch", p.Batch}, {"simple", p.Simple}} {
			if c.proc == nil || c.proc.Exporter.OTLP == nil {
				continue
			}
			otlp := c.proc.Exporter.OTLP
			at := fmt.Sprintf("service::telemetry::traces::processors[%d]::%s::exporter::otlp", i, c.kind)
			endpoint, err := rustSpanEndpoint(otlp)
			if err != nil {
				warnings = append(warnings, fmt.Sprintf("%s: %v; the Rust half emits no spans", at, err))
				continue
			}
			t := map[string]any{"endpoint": endpoint, "resource": spanResource(u.Resource, build)}
			if h := spanHeaders(otlp); len(h) > 0 {
				t["headers"] = h
			}
			tel["traces"] = t
			return tel, warnings
		}
	}
	return tel, warnings
}

// rustSpanEndpoint applies otelconf's reading of an OTLP/gRPC exporter
// (scheme http, or insecure without https, means plaintext) and returns the
// http:// endpoint otelcol-rust dials.
func rustSpanEndpoint(otlp *otlpSpanExporter) (string, error) {
	if otlp.Protocol != "grpc" {
		return "", fmt.Errorf("protocol %q: otelcol-rust exports spans over OTLP/gRPC (protocol: grpc) only", otlp.Protocol)
	}
	if otlp.Endpoint == "" {
		return "", fmt.Errorf("no endpoint")
	}
	insecure := otlp.Insecure
	host := otlp.Endpoint
	u, err := url.ParseRequestURI(otlp.Endpoint)
	if err == nil && u.Host != "" {
		host = u.Host
		insecure = u.Scheme == "http" || (u.Scheme != "https" && insecure)
	}
	if !insecure {
		return "", fmt.Errorf("endpoint %q uses TLS, which otelcol-rust's span exporter does not support (use http:// or insecure: true for a local agent)", otlp.Endpoint)
	}
	return "http://" + host, nil
}

// spanHeaders merges headers_list ("k=v,k2=v2") and headers ([{name, value}]),
// the latter winning as in otelconf.
func spanHeaders(otlp *otlpSpanExporter) map[string]any {
	h := map[string]any{}
	if otlp.HeadersList != "" {
		for _, kv := range strings.Split(otlp.HeadersList, ",") {
			if k, v, ok := strings.Cut(kv, "="); ok && strings.TrimSpace(k) != "" {
				h[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
			}
		}
	}
	for _, p := range otlp.Headers {
		if p.Name != "" {
			h[strings.ToLower(p.Name)] = p.Value
		}
	}
	return h
}

// spanResource is service.name/version of this build overlaid with the
// user's string resource attributes, in either of the collector's formats
// (inline map, or declarative `attributes: [{name, value}]`).
func spanResource(r map[string]any, build component.BuildInfo) map[string]any {
	res := map[string]any{}
	if build.Command != "" {
		res["service.name"] = build.Command
	}
	if build.Version != "" {
		res["service.version"] = build.Version
	}
	if _, declarative := r["attributes"].([]any); declarative {
		var decl struct {
			Attributes []struct {
				Name  string `mapstructure:"name"`
				Value any    `mapstructure:"value"`
			} `mapstructure:"attributes"`
		}
		if err := confmap.NewFromStringMap(r).Unmarshal(&decl, confmap.WithIgnoreUnused()); err != nil {
			return res
		}
		for _, a := range decl.Attributes {
			if v, ok := a.Value.(string); ok && a.Name != "" {
				res[a.Name] = v
			}
		}
		return res
	}
	for k, v := range r {
		switch v := v.(type) {
		case string:
			res[k] = v
		case nil:
			delete(res, k) // the collector's way to suppress an attribute
		}
	}
	return res
}

// rustComponentNames maps the ids the Rust half counts under back to the ids
// the user wrote, for the components exposed under another type than their
// native one (rust_otlp/in runs as otlp/in): keys are "<kind>:<native id>",
// as the Rust half's metrics name them (attribute key and value).
func rustComponentNames(user map[string]any, cat *partition.Catalog) map[string]any {
	renamed := map[partition.Kind]map[string]string{}
	for _, info := range cat.Components() {
		if info.Runtime == partition.Rust && info.NativeType != "" && info.NativeType != info.Type {
			if renamed[info.Kind] == nil {
				renamed[info.Kind] = map[string]string{}
			}
			renamed[info.Kind][info.Type] = info.NativeType
		}
	}
	out := map[string]any{}
	for _, kind := range []partition.Kind{partition.Receiver, partition.Processor, partition.Exporter} {
		section, _ := user[string(kind)+"s"].(map[string]any)
		for id := range section {
			typ, name, hasName := strings.Cut(id, "/")
			native, ok := renamed[kind][typ]
			if !ok {
				continue
			}
			nativeID := native
			if hasName {
				nativeID += "/" + name
			}
			out[string(kind)+":"+nativeID] = id
		}
	}
	return out
}
