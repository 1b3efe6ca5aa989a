//go:build linux

package extract

import (
	"context"
	"crypto/sha256"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// Benchmarks for the bench harness. They use a ~20 MiB payload with a
// binary-like compression ratio, or the real blob when EXTRACT_BENCH_BLOB
// names a .zst file. Ratios to compute: Cold*/ZstdDecodeSHA256 (target
// <= 1.5) and WarmDisk/SHA256 (target <= 1.2).

var benchData struct {
	once sync.Once
	a    Artifact
	raw  []byte
	blob []byte
}

func benchPayload(b *testing.B) (Artifact, []byte, []byte) {
	benchData.once.Do(func() {
		if p := os.Getenv("EXTRACT_BENCH_BLOB"); p != "" {
			blob, err := os.ReadFile(p)
			if err != nil {
				b.Fatal(err)
			}
			dec, _ := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1))
			raw, err := dec.DecodeAll(blob, nil)
			if err != nil {
				b.Fatalf("EXTRACT_BENCH_BLOB %s: %v", p, err)
			}
			benchData.raw, benchData.blob = raw, blob
		} else {
			benchData.raw = syntheticBinary(20 << 20)
			enc, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedBestCompression))
			benchData.blob = enc.EncodeAll(benchData.raw, nil)
		}
		benchData.a = artifactOf("bench", benchData.raw, benchData.blob)
	})
	return benchData.a, benchData.raw, benchData.blob
}

// syntheticBinary mixes random runs (code, compressed sections) with
// repeats of earlier data (tables, strings) to get a ratio near 3:1, like a
// stripped Rust binary.
func syntheticBinary(n int) []byte {
	r := rand.New(rand.NewSource(1))
	out := make([]byte, 0, n)
	for len(out) < n {
		if len(out) > 4096 && r.Intn(3) > 0 {
			start := r.Intn(len(out) - 1024)
			out = append(out, out[start:start+64+r.Intn(900)]...)
		} else {
			chunk := make([]byte, 64+r.Intn(256))
			r.Read(chunk)
			out = append(out, chunk...)
		}
	}
	return out[:n]
}

// BenchmarkSHA256 is one plain sha256 pass over the raw bytes in memory.
func BenchmarkSHA256(b *testing.B) {
	_, raw, _ := benchPayload(b)
	b.SetBytes(int64(len(raw)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sha256.Sum256(raw)
	}
}

// BenchmarkZstdDecodeSHA256 is the in-process floor: decode + hash, no I/O
// (the harness also times the `zstd -d | sha256sum` CLI floor).
func BenchmarkZstdDecodeSHA256(b *testing.B) {
	a, raw, blob := benchPayload(b)
	b.SetBytes(int64(len(raw)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := decodeTo(io.Discard, a, blob, DefaultMaxDecoderMemory); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkColdDisk(b *testing.B) {
	a, raw, blob := benchPayload(b)
	root := benchDir(b)
	b.SetBytes(int64(len(raw)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dir := filepath.Join(root, strconv.Itoa(i))
		e, err := Executable(context.Background(), a, blob, Options{Dir: dir, Mode: ModeDisk})
		if err != nil || !e.Extracted {
			b.Fatal(err)
		}
		b.StopTimer()
		closeExe(b, e)
		_ = os.RemoveAll(dir)
		b.StartTimer()
	}
}

func BenchmarkColdMemfd(b *testing.B) {
	a, raw, blob := benchPayload(b)
	b.SetBytes(int64(len(raw)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e, err := Executable(context.Background(), a, blob, Options{Mode: ModeMemfd})
		if err != nil {
			b.Skip("no executable memfd here: ", err)
		}
		closeExe(b, e)
	}
}

// BenchmarkWarmDisk is a second start: lock, re-hash the cached file, reuse.
func BenchmarkWarmDisk(b *testing.B) {
	a, raw, blob := benchPayload(b)
	dir := filepath.Join(benchDir(b), "warm")
	e, err := Executable(context.Background(), a, blob, Options{Dir: dir, Mode: ModeDisk})
	if err != nil {
		b.Fatal(err)
	}
	closeExe(b, e)
	b.SetBytes(int64(len(raw)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e, err := Executable(context.Background(), a, blob, Options{Dir: dir, Mode: ModeDisk})
		if err != nil || e.Extracted {
			b.Fatal("warm start failed or re-extracted: ", err)
		}
		closeExe(b, e)
	}
}

// benchDir is in os.TempDir() (where the product extracts by default),
// or EXTRACT_BENCH_DIR.
func benchDir(b *testing.B) string {
	parent := os.Getenv("EXTRACT_BENCH_DIR")
	d, err := os.MkdirTemp(parent, "extract-bench-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = os.RemoveAll(d) })
	return d
}
