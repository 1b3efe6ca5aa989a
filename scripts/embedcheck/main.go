// Command embedcheck proves that a built otelcol-hybrid embeds its own
// platform's Rust collector and no other: exactly one embedded manifest, for
// the binary's GOOS/GOARCH; its blob present byte for byte, once; and none of
// the other blobs in embedbin/blobs (when a multi-platform build left them).
//
//	go run ./scripts/embedcheck -binary bin/otelcol-hybrid -embedbin embedbin
package main

import (
	"bytes"
	"debug/buildinfo"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/otelcol-hybrid/otelcol-hybrid/embedbin"
	"github.com/otelcol-hybrid/otelcol-hybrid/platforms"
)

// manifestPlatform matches the platform line of an embedded manifest as
// embedbin.Manifest.Encode writes it.
var manifestPlatform = regexp.MustCompile(`"platform": "([a-z0-9]+/[a-z0-9]+)"`)

func main() {
	bin := flag.String("binary", "bin/otelcol-hybrid", "the Go binary to inspect")
	dir := flag.String("embedbin", "embedbin", "the embedbin directory with blobs/")
	flag.Parse()
	msg, err := check(*bin, *dir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "embedcheck: %s: %v\n", *bin, err)
		os.Exit(1)
	}
	fmt.Printf("embedcheck: %s: %s\n", *bin, msg)
}

func check(binPath, dir string) (string, error) {
	info, err := buildinfo.ReadFile(binPath)
	if err != nil {
		return "", err
	}
	var goos, goarch string
	for _, s := range info.Settings {
		switch s.Key {
		case "GOOS":
			goos = s.Value
		case "GOARCH":
			goarch = s.Value
		}
	}
	own, ok := platforms.Lookup(goos, goarch)
	if !ok {
		return "", fmt.Errorf("built for %s/%s, not in the platform table", goos, goarch)
	}
	data, err := os.ReadFile(binPath)
	if err != nil {
		return "", err
	}
	return checkData(data, own, dir)
}

// checkData is check on the binary's bytes, for a binary built for own.
func checkData(data []byte, own platforms.Platform, dir string) (string, error) {
	found := manifestPlatform.FindAllSubmatch(data, -1)
	if len(found) != 1 || string(found[0][1]) != own.String() {
		var names []string
		for _, f := range found {
			names = append(names, string(f[1]))
		}
		return "", fmt.Errorf("embeds manifests for %v, want exactly [%s]", names, own)
	}
	ownBlob, err := os.ReadFile(filepath.Join(dir, "blobs", own.Key(), "otelcol-rust.zst"))
	if err != nil {
		return "", fmt.Errorf("own blob: %w", err)
	}
	mjson, err := os.ReadFile(filepath.Join(dir, "blobs", own.Key(), "manifest.json"))
	if err != nil {
		return "", fmt.Errorf("own manifest: %w", err)
	}
	m, err := embedbin.ParseManifest(mjson)
	if err != nil {
		return "", err
	}
	if n := bytes.Count(data, ownBlob); n != 1 {
		return "", fmt.Errorf("contains the %s blob of embedbin/blobs %d times, want 1 (stale build?)", own, n)
	}
	others := 0
	for _, p := range platforms.All() {
		if p == own {
			continue
		}
		blob, err := os.ReadFile(filepath.Join(dir, "blobs", p.Key(), "otelcol-rust.zst"))
		if err != nil {
			continue // not built here: the manifest scan above already covers it
		}
		others++
		if bytes.Contains(data, blob) {
			return "", fmt.Errorf("contains the %s blob too", p)
		}
	}
	return fmt.Sprintf("only the %s blob (%d bytes zstd, %d raw, %s), checked against %d other built blob(s) and all manifests; binary %d bytes",
		own, m.CompressedSize, m.RawSize, m.Version, others, len(data)), nil
}
