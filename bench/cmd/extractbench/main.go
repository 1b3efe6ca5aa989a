// Command extractbench times the product's extract package on the real
// embedded blob and prints one JSON object. It is a separate binary so the
// rest of the benchmark builds even when the extract package does not.
//
//	extractbench -blob embedbin/blobs/linux_amd64/otelcol-rust.zst -manifest …/manifest.json -work DIR -n 5
package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/otelcol-hybrid/otelcol-hybrid/extract"
)

type manifest struct {
	CompressedSHA256 string `json:"compressed_sha256"`
	RawSHA256        string `json:"raw_sha256"`
	CompressedSize   int64  `json:"compressed_size"`
	RawSize          int64  `json:"raw_size"`
	ZstdWindowSize   int64  `json:"zstd_window_size"`
}

func median(d []time.Duration) float64 {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return float64(s[len(s)/2]) / 1e6
}

func main() {
	blobPath := flag.String("blob", "", "zstd blob")
	manPath := flag.String("manifest", "", "manifest.json")
	work := flag.String("work", os.TempDir(), "scratch directory (same filesystem as the product's cache)")
	n := flag.Int("n", 5, "repetitions (median reported)")
	flag.Parse()
	fail := func(err error) {
		if jerr := json.NewEncoder(os.Stdout).Encode(map[string]any{"error": err.Error()}); jerr != nil {
			fmt.Fprintln(os.Stderr, "extractbench:", err)
		}
		os.Exit(1)
	}
	blob, err := os.ReadFile(*blobPath)
	if err != nil {
		fail(err)
	}
	mb, err := os.ReadFile(*manPath)
	if err != nil {
		fail(err)
	}
	var m manifest
	if err := json.Unmarshal(mb, &m); err != nil {
		fail(err)
	}
	a := extract.Artifact{Name: "otelcol-rust", CompressedSHA256: m.CompressedSHA256, RawSHA256: m.RawSHA256,
		CompressedSize: m.CompressedSize, RawSize: m.RawSize}
	ctx := context.Background()
	var cold, warm, memfd, inproc []time.Duration
	var rawFile string
	for i := 0; i < *n; i++ {
		dir := filepath.Join(*work, fmt.Sprintf("cold-%d", i))
		if err := os.RemoveAll(dir); err != nil {
			fail(err) // a leftover would make the cold run warm
		}
		t := time.Now()
		e, err := extract.Executable(ctx, a, blob, extract.Options{Dir: dir, Mode: extract.ModeDisk})
		if err != nil {
			fail(fmt.Errorf("cold extraction: %w", err))
		}
		cold = append(cold, time.Since(t))
		if !e.Extracted {
			fail(fmt.Errorf("cold extraction into an empty dir reported Extracted=false"))
		}
		rawFile = e.Path
		if err := e.Close(); err != nil {
			fail(err)
		}
		// warm: same dir, verified cached file reused.
		t = time.Now()
		e, err = extract.Executable(ctx, a, blob, extract.Options{Dir: dir, Mode: extract.ModeDisk})
		if err != nil {
			fail(fmt.Errorf("warm re-verification: %w", err))
		}
		warm = append(warm, time.Since(t))
		if e.Extracted {
			fail(fmt.Errorf("warm call re-extracted"))
		}
		if err := e.Close(); err != nil {
			fail(err)
		}
		t = time.Now()
		e, err = extract.Executable(ctx, a, blob, extract.Options{Mode: extract.ModeMemfd})
		if err == nil {
			memfd = append(memfd, time.Since(t))
			if err := e.Close(); err != nil {
				fail(err)
			}
		}
		// In-process floor: sha256(blob) + zstd decode + sha256(raw), no file.
		t = time.Now()
		sha256.Sum256(blob)
		d, _ := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(64<<20))
		raw, err := d.DecodeAll(blob, make([]byte, 0, m.RawSize))
		d.Close()
		if err != nil {
			fail(err)
		}
		sha256.Sum256(raw)
		inproc = append(inproc, time.Since(t))
	}
	out := map[string]any{
		"cold_extract_ms":   median(cold),
		"warm_verify_ms":    median(warm),
		"inproc_floor_ms":   median(inproc),
		"raw_file":          rawFile,
		"compressed_size":   m.CompressedSize,
		"raw_size":          m.RawSize,
		"zstd_window_bytes": m.ZstdWindowSize,
		"n":                 *n,
	}
	if len(memfd) > 0 {
		out["memfd_extract_ms"] = median(memfd)
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fail(err)
	}
}
