package subprocessext

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestLogsLevelsPerRustTarget(t *testing.T) {
	l := LogsConfig{Levels: map[string]string{"otelcol_core::runtime": "warn", "otelcol_advanced_filter": "DEBUG"}}
	if errs := l.validate(); len(errs) != 0 {
		t.Fatal(errs)
	}
	want := []string{"OTELCOL_RUST_LOG=info,otelcol_advanced_filter=debug,otelcol_core::runtime=warn"}
	if got := l.childEnv("Info"); !reflect.DeepEqual(got, want) {
		t.Fatalf("childEnv = %q, want %q", got, want)
	}
	if got := (LogsConfig{}).childEnv("debug"); got != nil {
		t.Fatalf("no levels: the child keeps service::telemetry::logs::level, got env %q", got)
	}
	route := l.Route()
	for target, want := range map[string][2]bool{
		"otelcol_advanced_filter":            {true, true},
		"otelcol_advanced_filter::glob":      {true, true},
		"otelcol_advanced_filterx":           {false, false},
		"otelcol_core::runtime::pipeline":    {true, true},
		"otelcol_core::config":               {false, false},
		"otelcol_debug_exporter":             {false, true},
		"otelcol_otlp_rust_exporter::client": {false, false},
	} {
		r := route(target)
		if got := [2]bool{r.IgnoreLevel, r.IgnoreSampling}; got != want {
			t.Errorf("%s: ignore level/sampling = %v, want %v", target, got, want)
		}
	}
	if r := (LogsConfig{SampleDebugExporter: true}).Route()("otelcol_debug_exporter"); r.IgnoreSampling {
		t.Error("sample_debug_exporter: true lets the sampler see rust_debug lines")
	}
}

func TestLogsLevelsRefuseWhatTheChildCannotRead(t *testing.T) {
	errs := LogsConfig{Levels: map[string]string{"otelcol advanced": "debug", "otelcol_core": "verbose"}}.validate()
	msg := errors.Join(errs...).Error()
	for _, want := range []string{
		`logs::levels: "otelcol advanced" is not a Rust log target`,
		`logs::levels::otelcol_core: "verbose" is not one of debug, info, warn, error`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("errors %q lack %q", msg, want)
		}
	}
}
