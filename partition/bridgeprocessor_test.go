package partition

import (
	"path/filepath"
	"reflect"
	"testing"
)

// TestGoBridgeProcessorEndsExactlyTheBridgeFeedingGoPipelines partitions
// every golden input with and without Options.GoBridgeProcessor: the processor
// must be the last one of exactly the Go pipelines that export to a bridge,
// and removing it must give back the split made without it.
func TestGoBridgeProcessorEndsExactlyTheBridgeFeedingGoPipelines(t *testing.T) {
	const proc = "bridge_cancel"
	inputs, err := filepath.Glob("testdata/*/input.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cat := testCatalog(t)
	feeding := 0
	for _, in := range inputs {
		dir := filepath.Dir(in)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			opts := goldenOptions(t, dir)
			plain, err := Partition(loadYAML(t, in), cat, opts)
			if err != nil {
				t.Fatal(err)
			}
			opts.GoBridgeProcessor = proc
			with, err := Partition(loadYAML(t, in), cat, opts)
			if err != nil {
				t.Fatal(err)
			}
			bridgeExps := map[string]bool{}
			for _, b := range with.Bridges {
				bridgeExps[goBridgeExporterType+"/"+b.Name] = true
				bridgeExps[inProcessBridgeType+"/"+b.Name] = true
			}
			svc, _ := with.Go["service"].(map[string]any)
			pipes, _ := svc["pipelines"].(map[string]any)
			uses := 0
			for name, p := range pipes {
				pm := p.(map[string]any)
				toBridge := false
				for _, e := range pm["exporters"].([]any) {
					toBridge = toBridge || bridgeExps[e.(string)]
				}
				procs, _ := pm["processors"].([]any)
				// The instance that keeps received bytes for a queued
				// bridge (passthrough.go) is the same processor.
				last := len(procs) > 0 && (procs[len(procs)-1] == proc || procs[len(procs)-1] == holdingProcessor(proc))
				if toBridge != last {
					t.Errorf("pipeline %s: exports to a bridge = %v, %s last = %v (processors %v)", name, toBridge, proc, last, procs)
				}
				if last {
					uses++
					if procs = procs[:len(procs)-1]; len(procs) == 0 {
						delete(pm, "processors")
					} else {
						pm["processors"] = procs
					}
				}
			}
			sec, _ := with.Go["processors"].(map[string]any)
			if uses > 0 {
				feeding++
				plainCfg, plainOK := sec[proc].(map[string]any)
				keepCfg, keepOK := sec[holdingProcessor(proc)].(map[string]any)
				if (!plainOK && !keepOK) || (plainOK && len(plainCfg) != 0) || (keepOK && !reflect.DeepEqual(keepCfg, map[string]any{keepReceivedSetting: true})) {
					t.Fatalf("processors::%s = %#v, %s = %#v: want an empty config, or keep_received_bytes", proc, sec[proc], holdingProcessor(proc), keepCfg)
				}
				delete(sec, proc)
				if delete(sec, holdingProcessor(proc)); len(sec) == 0 {
					delete(with.Go, "processors")
				}
			} else if _, ok := sec[proc]; ok {
				t.Errorf("processors::%s defined but no pipeline feeds a bridge", proc)
			}
			if !equalConfigs(plain.Go, with.Go) || !equalConfigs(plain.Rust, with.Rust) {
				t.Errorf("without %s the halves differ from the plain split:\n%s\nvs\n%s", proc, mustYAML(with.Go), mustYAML(plain.Go))
			}
		})
	}
	if feeding < 5 {
		t.Fatalf("only %d golden topologies have a Go pipeline feeding a bridge; the test proves little", feeding)
	}
}
