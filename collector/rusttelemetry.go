package collector

import (
	"fmt"
	"net/url"
	"strings"

	"go.opentelemetry.io/collector/component"

	"github.com/otelcol-hybrid/otelcol-hybrid/partition"
)

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
// back as a warning naming the setting, and the Rust half emits no spans.
func rustTelemetry(user map[string]any, build component.BuildInfo) (tel map[string]any, warnings []string) {
	svc, _ := user["service"].(map[string]any)
	userTel, _ := svc["telemetry"].(map[string]any)
	tel = map[string]any{}
	if logs, _ := userTel["logs"].(map[string]any); logs != nil {
		if level, ok := logs["level"].(string); ok && level != "" {
			tel["logs"] = map[string]any{"level": level}
		}
	}
	// The Rust half counts at the user's level (none: not at all); the parent
	// serves what it counts with the Go components' metrics.
	if mets, _ := userTel["metrics"].(map[string]any); mets != nil {
		if level, ok := mets["level"].(string); ok && level != "" {
			tel["metrics"] = map[string]any{"level": strings.ToLower(level)}
		}
	}
	traces, _ := userTel["traces"].(map[string]any)
	if traces == nil {
		return tel, nil
	}
	if level, _ := traces["level"].(string); strings.EqualFold(level, "none") {
		return tel, nil
	}
	procs, _ := traces["processors"].([]any)
	for i, p := range procs {
		at := fmt.Sprintf("service::telemetry::traces::processors[%d]", i)
		pm, _ := p.(map[string]any)
		for _, kind := range []string{"batch", "simple"} {
			proc, _ := pm[kind].(map[string]any)
			exp, _ := proc["exporter"].(map[string]any)
			otlp, ok := exp["otlp"].(map[string]any)
			if !ok {
				continue
			}
			at := at + "::" + kind + "::exporter::otlp"
			endpoint, err := rustSpanEndpoint(otlp)
			if err != nil {
				warnings = append(warnings, fmt.Sprintf("%s: %v; the Rust half emits no spans", at, err))
				continue
			}
			t := map[string]any{"endpoint": endpoint, "resource": spanResource(userTel, build)}
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
func rustSpanEndpoint(otlp map[string]any) (string, error) {
	if proto, _ := otlp["protocol"].(string); proto != "grpc" {
		return "", fmt.Errorf("protocol %q: otelcol-rust exports spans over OTLP/gRPC (protocol: grpc) only", proto)
	}
	raw, _ := otlp["endpoint"].(string)
	if raw == "" {
		return "", fmt.Errorf("no endpoint")
	}
	insecure, _ := otlp["insecure"].(bool)
	host := raw
	u, err := url.ParseRequestURI(raw)
	if err == nil && u.Host != "" {
		host = u.Host
		insecure = u.Scheme == "http" || (u.Scheme != "https" && insecure)
	}
	if !insecure {
		return "", fmt.Errorf("endpoint %q uses TLS, which otelcol-rust's span exporter does not support (use http:// or insecure: true for a local agent)", raw)
	}
	return "http://" + host, nil
}

// spanHeaders merges headers_list ("k=v,k2=v2") and headers ([{name, value}]),
// the latter winning as in otelconf.
func spanHeaders(otlp map[string]any) map[string]any {
	h := map[string]any{}
	if list, _ := otlp["headers_list"].(string); list != "" {
		for _, kv := range strings.Split(list, ",") {
			if k, v, ok := strings.Cut(kv, "="); ok && strings.TrimSpace(k) != "" {
				h[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
			}
		}
	}
	pairs, _ := otlp["headers"].([]any)
	for _, p := range pairs {
		pm, _ := p.(map[string]any)
		if name, ok := pm["name"].(string); ok && name != "" {
			v, _ := pm["value"].(string)
			h[strings.ToLower(name)] = v
		}
	}
	return h
}

// spanResource is service.name/version of this build overlaid with the
// user's string resource attributes, in either of the collector's formats
// (inline map, or declarative `attributes: [{name, value}]`).
func spanResource(userTel map[string]any, build component.BuildInfo) map[string]any {
	res := map[string]any{}
	if build.Command != "" {
		res["service.name"] = build.Command
	}
	if build.Version != "" {
		res["service.version"] = build.Version
	}
	r, _ := userTel["resource"].(map[string]any)
	if attrs, ok := r["attributes"].([]any); ok {
		for _, a := range attrs {
			am, _ := a.(map[string]any)
			if name, ok := am["name"].(string); ok {
				if v, ok := am["value"].(string); ok {
					res[name] = v
				}
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
