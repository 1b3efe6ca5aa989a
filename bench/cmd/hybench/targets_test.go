package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The report's Targets table and bench-check read one table: every target
// shows in the report, and a summary meeting all of them passes the check
// while a missing or missed figure fails it.
func TestOneTargetTableDrivesReportAndCheck(t *testing.T) {
	met := map[string]any{}
	for _, tg := range targets {
		met[tg.key] = tg.lim
	}
	rows := targetRows(met)
	for _, tg := range targets {
		if !strings.Contains(rows, "| "+tg.key+" |") {
			t.Errorf("report lacks target %s", tg.key)
		}
	}
	if strings.Contains(rows, "MISSED") || strings.Contains(rows, "missing") {
		t.Fatalf("limits themselves are reported as missed:\n%s", rows)
	}
	write := func(m map[string]any) string {
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), "summary.json")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if code := check([]string{"-summary", write(met)}); code != 0 {
		t.Fatalf("check of a summary at every limit: exit %d", code)
	}
	for _, tg := range targets {
		bad := map[string]any{}
		for k, v := range met {
			bad[k] = v
		}
		delete(bad, tg.key)
		if code := check([]string{"-summary", write(bad)}); code != 1 {
			t.Errorf("%s missing: check exit %d, want 1", tg.key, code)
		}
		worse := tg.lim * 1.01
		if tg.min {
			worse = tg.lim * 0.99
		}
		bad[tg.key] = worse
		if code := check([]string{"-summary", write(bad)}); code != 1 {
			t.Errorf("%s = %g (limit %s %g): check exit %d, want 1", tg.key, worse, tg.op(), tg.lim, code)
		}
	}
	s := &summary{}
	s.ColdStartMs = math.NaN()
	if _, ok := (target{key: "cold_start_ms"}).value(summaryMap(s)); ok {
		t.Fatal("a NaN figure reads as present")
	}
}

// Every target names a top-level key of summary.json, and the figures grouped
// by area keep their flat keys both ways: written by summaryMap, read back by
// encoding/json as `hybench report` reads a summary.
func TestTargetKeysAreSummaryKeys(t *testing.T) {
	keys := summaryMap(&summary{})
	for _, tg := range targets {
		if _, ok := keys[tg.key]; !ok {
			t.Errorf("target %s is not a key of summary.json", tg.key)
		}
	}
	s := &summary{}
	s.ColdStartMs, s.WarmVerifyVsSha256Ratio, s.FFICancelP99Ms = 12, 1.1, 0.5
	m := summaryMap(s)
	if m["cold_start_ms"] != 12.0 || m["warm_verify_vs_sha256_ratio"] != 1.1 || m["ffi_cancel_latency_p99_ms"] != 0.5 {
		t.Fatalf("figures are not at the top level of summary.json: %v", m)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var back summary
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.ColdStartMs != 12 || back.WarmVerifyVsSha256Ratio != 1.1 || back.FFICancelP99Ms != 0.5 {
		t.Fatalf("read back: cold %v, warm verify %v, ffi cancel %v", back.ColdStartMs, back.WarmVerifyVsSha256Ratio, back.FFICancelP99Ms)
	}
}
