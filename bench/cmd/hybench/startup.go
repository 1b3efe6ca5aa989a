package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	simd "github.com/minio/sha256-simd"
)

func medianF(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}

type startupResult struct {
	NativeMs     float64             `json:"native_start_ms"`    // all-Go config, no child
	ColdDiskMs   float64             `json:"cold_disk_start_ms"` // empty cache dir, OTELCOL_HYBRID_EXTRACT=disk
	WarmDiskMs   float64             `json:"warm_disk_start_ms"` // same cache dir, already extracted
	MemfdMs      float64             `json:"memfd_start_ms"`     // OTELCOL_HYBRID_EXTRACT=memfd (decompresses every start)
	Runs         int                 `json:"runs"`
	ColdAll      []float64           `json:"cold_disk_all_ms"`
	WarmAll      []float64           `json:"warm_disk_all_ms"`
	MemfdAll     []float64           `json:"memfd_all_ms"`
	NativeAll    []float64           `json:"native_all_ms"`
	Error        string              `json:"error,omitempty"`
	Timelines    map[string][]string `json:"timelines,omitempty"` // first run of each variant: ms since exec → message
	ColdChildCPU float64             `json:"-"`
}

// measureStartup: exec → "Everything is ready" (which the collector prints
// only after the rust_subprocess extension saw the child SERVING).
func measureStartup(bins map[string]string, work string, sk *sink, runs int) startupResult {
	nan := math.NaN()
	r := startupResult{Runs: runs, NativeMs: nan, ColdDiskMs: nan, WarmDiskMs: nan, MemfdMs: nan}
	scs := scenarios()
	native, hybrid := scs[0], scs[1]
	one := func(sc scenario, env []string) (float64, []string, error) {
		dir, _ := os.MkdirTemp(work, "start-")
		cfg := filepath.Join(dir, "config.yaml")
		if err := os.WriteFile(cfg, []byte(sc.Config(freePort(), sk.addr)), 0o600); err != nil {
			return 0, nil, err
		}
		env = append(env, "OTELCOL_HYBRID_RUNTIME_DIR="+dir)
		p, err := startCollector(bins["hybrid"], cfg, env, 30*time.Second)
		if err != nil {
			return 0, nil, err
		}
		ms := float64(p.readyAt) / 1e6
		p.stop()
		return ms, p.logLines(), nil
	}
	r.Timelines = map[string][]string{}
	keep := func(name string, i int, lines []string) {
		if i == 0 {
			r.Timelines[name] = timeline(lines)
		}
	}
	for i := 0; i < runs; i++ {
		ms, lines, err := one(native, nil)
		keep("native", i, lines)
		if err != nil {
			r.Error = err.Error()
			return r
		}
		r.NativeAll = append(r.NativeAll, ms)
		cache, _ := os.MkdirTemp(work, "cache-")
		cacheDir := filepath.Join(cache, "c") // does not exist yet: truly cold
		env := []string{"OTELCOL_HYBRID_EXTRACT=disk", "OTELCOL_HYBRID_CACHE_DIR=" + cacheDir}
		ms, lines, err = one(hybrid, env)
		if err != nil {
			r.Error = err.Error()
			return r
		}
		r.ColdAll = append(r.ColdAll, ms)
		keep("cold_disk", i, lines)
		ms, lines, err = one(hybrid, env)
		keep("warm_disk", i, lines)
		if err != nil {
			r.Error = err.Error()
			return r
		}
		r.WarmAll = append(r.WarmAll, ms)
		ms, lines, err = one(hybrid, []string{"OTELCOL_HYBRID_EXTRACT=memfd"})
		keep("memfd", i, lines)
		if err != nil {
			r.Error = "memfd: " + err.Error()
		} else {
			r.MemfdAll = append(r.MemfdAll, ms)
		}
	}
	r.NativeMs, r.ColdDiskMs, r.WarmDiskMs = medianF(r.NativeAll), medianF(r.ColdAll), medianF(r.WarmAll)
	if len(r.MemfdAll) > 0 {
		r.MemfdMs = medianF(r.MemfdAll)
	}
	return r
}

type extractResult struct {
	ColdExtractMs   float64 `json:"cold_extract_ms"`
	WarmVerifyMs    float64 `json:"warm_verify_ms"`
	MemfdExtractMs  float64 `json:"memfd_extract_ms"`
	InprocFloorMs   float64 `json:"inproc_floor_ms"`
	FloorZstdShaMs  float64 `json:"floor_zstd_d_sha256sum_ms"` // zstd -d -c blob | sha256sum
	FloorSha256Ms   float64 `json:"floor_sha256sum_raw_ms"`    // sha256sum of the raw file once
	FloorTrueMs     float64 `json:"floor_shell_spawn_ms"`      // bash -c true: process start cost inside both floors
	CompressedSize  int64   `json:"compressed_size"`
	RawSize         int64   `json:"raw_size"`
	ZstdWindowBytes int64   `json:"zstd_window_bytes"`
	RawFile         string  `json:"-"`
	Error           string  `json:"error,omitempty"`
}

func timeShell(script string, runs int) (float64, error) {
	var all []float64
	for i := 0; i < runs; i++ {
		t := time.Now()
		out, err := exec.Command("bash", "-c", script).CombinedOutput()
		if err != nil {
			return 0, fmt.Errorf("%s: %w: %s", script, err, out)
		}
		all = append(all, float64(time.Since(t))/1e6)
	}
	return medianF(all), nil
}

func measureExtract(extractBench, blob, manifest, work string, runs int) extractResult {
	nan := math.NaN()
	r := extractResult{ColdExtractMs: nan, WarmVerifyMs: nan, MemfdExtractMs: nan, InprocFloorMs: nan, FloorZstdShaMs: nan, FloorSha256Ms: nan, FloorTrueMs: nan}
	dir, _ := os.MkdirTemp(work, "extract-")
	out, err := exec.Command(extractBench, "-blob", blob, "-manifest", manifest, "-work", dir, "-n", fmt.Sprint(runs)).Output()
	if err != nil {
		r.Error = fmt.Sprintf("extractbench: %v: %s", err, bytes.TrimSpace(out))
		return r
	}
	if err := json.Unmarshal(out, &r); err != nil {
		r.Error = err.Error()
		return r
	}
	var raw struct {
		RawFile string `json:"raw_file"`
	}
	if err := json.Unmarshal(out, &raw); err != nil {
		r.Error = err.Error()
		return r
	}
	r.RawFile = raw.RawFile
	q := func(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
	// Warm the page cache for both files first, like the product's own runs.
	if err := exec.Command("bash", "-c", "cat "+q(blob)+" "+q(r.RawFile)+" >/dev/null").Run(); err != nil {
		r.Error = "warming the page cache: " + err.Error()
		return r
	}
	if r.FloorZstdShaMs, err = timeShell("zstd -q -d -c "+q(blob)+" | sha256sum >/dev/null", runs); err != nil {
		r.Error = err.Error()
	}
	if r.FloorSha256Ms, err = timeShell("sha256sum "+q(r.RawFile)+" >/dev/null", runs); err != nil {
		r.Error = err.Error()
	}
	r.FloorTrueMs, _ = timeShell("true", runs)
	return r
}

type shaResult struct {
	StdMBps   float64 `json:"crypto_sha256_mb_per_s"`
	SimdMBps  float64 `json:"minio_sha256_simd_mb_per_s"`
	SimdVsStd float64 `json:"simd_vs_std"`
	SizeMiB   int     `json:"size_mib"`
}

func measureSHA() shaResult {
	buf := make([]byte, 20<<20)
	rand.New(rand.NewSource(1)).Read(buf)
	mbps := func(f func()) float64 {
		r := testing.Benchmark(func(b *testing.B) {
			b.SetBytes(int64(len(buf)))
			for i := 0; i < b.N; i++ {
				f()
			}
		})
		return float64(r.Bytes) * float64(r.N) / r.T.Seconds() / 1e6
	}
	// Best of two interleaved rounds each: the machine is shared.
	std := mbps(func() { sha256.Sum256(buf) })
	sim := mbps(func() { simd.Sum256(buf) })
	std = math.Max(std, mbps(func() { sha256.Sum256(buf) }))
	sim = math.Max(sim, mbps(func() { simd.Sum256(buf) }))
	return shaResult{StdMBps: std, SimdMBps: sim, SimdVsStd: sim / std, SizeMiB: 20}
}

// timeline turns "+  12.3ms <zap console line>" into "+  12.3ms message"
// (the console encoder separates time, level, caller, message, fields by tabs).
func timeline(lines []string) []string {
	var out []string
	for _, l := range lines {
		off, rest, ok := strings.Cut(l, "ms ")
		if !ok {
			continue
		}
		f := strings.Split(rest, "\t")
		msg := rest
		if len(f) >= 4 {
			msg = f[3]
			if f[3] == "" || strings.HasPrefix(f[2], "rust") {
				msg = f[2] + " " + f[3]
			}
			if len(f) >= 5 && (strings.HasPrefix(f[2], "rust") || strings.Contains(f[3], "ready") || strings.Contains(f[3], "xtract")) {
				msg += " " + f[4]
			}
		}
		if len(msg) > 200 {
			msg = msg[:200] + "…"
		}
		out = append(out, off+"ms "+msg)
	}
	return out
}
