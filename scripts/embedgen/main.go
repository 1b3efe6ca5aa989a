// Command embedgen turns cross-built Rust collectors into what embedbin
// embeds: for each platform, <out>/blobs/<goos>_<goarch>/otelcol-rust.zst,
// its manifest.json, and <out>/zz_embed_<goos>_<goarch>.go. Generated files of
// platforms not in this run are removed, so embedbin/ always mirrors the last
// `make blobs` and no stale blob can be shipped.
//
//	SOURCE_DATE_EPOCH=… go run ./scripts/embedgen -platforms "linux/amd64 …" -version 0.1.0
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/otelcol-hybrid/otelcol-hybrid/embedbin"
	"github.com/otelcol-hybrid/otelcol-hybrid/platforms"
)

// defaultWindow: 8 MiB bounds the decoder's memory. Measured on the 6.1 MiB
// collector: 32 MiB gives the identical size (the binary fits the window),
// 4 MiB +0.1%, 1 MiB +5%.
const defaultWindow = 8 << 20

type options struct {
	in, out, version string
	window           int
	epoch            time.Time
	selected         []platforms.Platform
}

func main() {
	spec := flag.String("platforms", "", `platforms to generate ("host", "all" or goos/goarch ...); a file name prefixed with @ is read`)
	var o options
	flag.StringVar(&o.in, "in", "build/rust", "directory of <goos>_<goarch>/otelcol-rust[.exe] from scripts/rustcross")
	flag.StringVar(&o.out, "out", "embedbin", "the embedbin package directory")
	flag.StringVar(&o.version, "version", "", "otelcol-rust version recorded in the manifest")
	flag.IntVar(&o.window, "window", defaultWindow, "zstd window size in bytes (power of two)")
	flag.Parse()
	err := setup(&o, *spec)
	if err == nil {
		err = generate(o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "embedgen:", err)
		os.Exit(1)
	}
}

func setup(o *options, spec string) error {
	if len(spec) > 0 && spec[0] == '@' {
		b, err := os.ReadFile(spec[1:])
		if err != nil {
			return fmt.Errorf("platform list: %w", err)
		}
		spec = string(b)
	}
	var err error
	if o.selected, err = platforms.Select(spec); err != nil {
		return err
	}
	if o.version == "" {
		return fmt.Errorf("-version is required")
	}
	// The build time comes from the commit, not the clock: reproducible.
	s, ok := os.LookupEnv("SOURCE_DATE_EPOCH")
	sec, perr := strconv.ParseInt(s, 10, 64)
	if !ok || perr != nil || sec < 0 {
		return fmt.Errorf("SOURCE_DATE_EPOCH=%q: want the commit time in seconds (make sets it from git)", s)
	}
	o.epoch = time.Unix(sec, 0).UTC()
	return nil
}

func generate(o options) error {
	keep := map[string]bool{}
	for _, p := range o.selected {
		if err := generateOne(o, p); err != nil {
			return err
		}
		keep[p.Key()] = true
	}
	return removeOthers(o.out, keep)
}

func generateOne(o options, p platforms.Platform) error {
	rawPath := filepath.Join(o.in, p.Key(), "otelcol-rust"+p.ExeSuffix())
	raw, err := os.ReadFile(rawPath)
	if err != nil {
		return fmt.Errorf("%s: no Rust collector built (%w): run scripts/rustcross first", p, err)
	}
	blob, err := compress(raw, o.window)
	if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	rawSum, blobSum := sha256.Sum256(raw), sha256.Sum256(blob)
	m := embedbin.Manifest{
		Platform: p.String(), RustTarget: p.RustTarget, Version: o.version,
		CompressedSHA256: hex.EncodeToString(blobSum[:]), RawSHA256: hex.EncodeToString(rawSum[:]),
		CompressedSize: int64(len(blob)), RawSize: int64(len(raw)),
		ZstdWindowSize: int64(o.window), BuildTime: o.epoch,
	}
	mjson, err := m.Encode()
	if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	src, err := embedSource(p)
	if err != nil {
		return err
	}
	dir := filepath.Join(o.out, filepath.FromSlash(blobDir(p)))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, data := range map[string][]byte{
		filepath.Join(dir, blobName):           blob,
		filepath.Join(dir, manifestName):       mjson,
		filepath.Join(o.out, embedFileName(p)): src,
	} {
		if err := writeAtomic(name, data); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "embedgen: %s: %d bytes raw → %d bytes zstd (%.1f%%, window %d)\n",
		p, len(raw), len(blob), 100*float64(len(blob))/float64(len(raw)), o.window)
	return nil
}

// removeOthers deletes the generated files of every table platform not kept.
// (A platform removed from the table leaves files that no longer compile
// cleanly only if its blob is gone; `make clean-blobs` removes everything.)
func removeOthers(out string, keep map[string]bool) error {
	for _, p := range platforms.All() {
		if keep[p.Key()] {
			continue
		}
		if err := os.Remove(filepath.Join(out, embedFileName(p))); err != nil && !os.IsNotExist(err) {
			return err
		}
		if err := os.RemoveAll(filepath.Join(out, filepath.FromSlash(blobDir(p)))); err != nil {
			return err
		}
	}
	return nil
}

func writeAtomic(name string, data []byte) error {
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, name)
}
