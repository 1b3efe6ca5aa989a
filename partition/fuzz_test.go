package partition

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/confmap"
	"go.yaml.in/yaml/v3"
)

// FuzzPartition feeds arbitrary YAML: Partition must never panic, its errors
// are one non-empty line, and whatever it accepts must pass the same
// composition property as the random valid configs.
//
//	go test ./partition -run '^$' -fuzz FuzzPartition -fuzztime 30s
func FuzzPartition(f *testing.F) {
	inputs, _ := filepath.Glob("testdata/*/input.yaml")
	for _, in := range inputs {
		if b, err := os.ReadFile(in); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		"", "null", "[]", "service: 3", "service: {pipelines: []}",
		"receivers: {1: 2}\nservice: {pipelines: {traces: {receivers: [1], exporters: [x]}}}",
		"receivers: {' otlp ': }\nexporters: {debug: }\nservice: {pipelines: {' traces / a ': {receivers: [otlp], exporters: ['debug ']}}}",
		"receivers: {otlp: , 'otlp ': }",
		"service: {pipelines: {\"traces/\\n\": {receivers: [\"a\\nb\"]}}}",
	} {
		f.Add([]byte(s))
	}
	cat := testCatalog(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var raw map[string]any
		if yaml.Unmarshal(data, &raw) != nil {
			return
		}
		// The collector hands the converter confmap's view of the YAML,
		// where every key is a string (9 and 0009 are one key there, two
		// different map keys in a plain yaml.Unmarshal).
		user := confmap.NewFromStringMap(raw).ToStringMap()
		res, err := Partition(user, cat, testOptions())
		if err != nil {
			if msg := err.Error(); msg == "" || strings.ContainsAny(msg, "\n\r") {
				t.Fatalf("error is not one line: %q", msg)
			}
			return
		}
		goYAML, rustYAML, err := res.YAML()
		if err != nil {
			t.Fatalf("YAML: %v", err)
		}
		// What we write must read back: operators and the child load it.
		for _, out := range [][]byte{goYAML, rustYAML} {
			var back map[string]any
			if err := yaml.Unmarshal(out, &back); err != nil {
				t.Fatalf("generated YAML does not parse: %v\n%s", err, out)
			}
		}
		if err := checkComposition(normalizedForCheck(user), res, cat); err != nil {
			t.Fatalf("accepted config breaks composition: %v", err)
		}
	})
}

// normalizedForCheck re-keys the user's config the way the collector (and
// the partitioner) reads ids, trimming spaces, so the checker compares like
// with like.
func normalizedForCheck(user map[string]any) map[string]any {
	out := deepCopy(user).(map[string]any)
	for _, k := range pipelineKinds {
		sec, ok := out[k.section()].(map[string]any)
		if !ok {
			continue
		}
		norm := map[string]any{}
		for id, v := range sec {
			if cid, err := parseCompID(id); err == nil {
				norm[cid.String()] = v
			}
		}
		out[k.section()] = norm
	}
	service, _ := out["service"].(map[string]any)
	pipes, _ := service["pipelines"].(map[string]any)
	norm := map[string]any{}
	for id, v := range pipes {
		pid, _ := parsePipeID(id)
		pm, _ := v.(map[string]any)
		np := map[string]any{}
		for field, l := range pm {
			items, _ := asStringList(l, "")
			var ids []any
			for _, it := range items {
				cid, _ := parseCompID(it)
				ids = append(ids, cid.String())
			}
			np[field] = ids
		}
		norm[pid.String()] = np
	}
	if service != nil {
		service["pipelines"] = norm
	}
	return out
}
