package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-hybrid/otelcol-hybrid/embedbin"
	"github.com/otelcol-hybrid/otelcol-hybrid/platforms"
)

// writeBlob puts a fake blob and its real manifest where make blobs would.
func writeBlob(t *testing.T, dir string, p platforms.Platform) (blob, manifest []byte) {
	t.Helper()
	blob = []byte("\x28\xb5\x2f\xfd zstd frame of " + p.String() + strings.Repeat("x", 64))
	m := embedbin.Manifest{Platform: p.String(), RustTarget: p.RustTarget, Version: "0.1.0",
		CompressedSHA256: strings.Repeat("a", 64), RawSHA256: strings.Repeat("b", 64),
		CompressedSize: int64(len(blob)), RawSize: 1000, ZstdWindowSize: 8 << 20, BuildTime: time.Unix(1, 0)}
	manifest, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	d := filepath.Join(dir, "blobs", p.Key())
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d, "otelcol-rust.zst"), blob, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d, "manifest.json"), manifest, 0o644); err != nil {
		t.Fatal(err)
	}
	return blob, manifest
}

func TestCheckData(t *testing.T) {
	dir := t.TempDir()
	own, _ := platforms.Lookup("linux", "amd64")
	other, _ := platforms.Lookup("darwin", "arm64")
	blob, man := writeBlob(t, dir, own)
	oblob, oman := writeBlob(t, dir, other)
	code := []byte("\x7fELF go code ")
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, []byte("...")) }

	if msg, err := checkData(cat(code, man, blob), own, dir); err != nil {
		t.Fatalf("own blob only: %v", err)
	} else if !strings.Contains(msg, "1 other built blob") {
		t.Errorf("summary %q does not count the other blob", msg)
	}
	bad := map[string][]byte{
		"no manifest":         cat(code, blob),
		"other manifest too":  cat(code, man, blob, oman),
		"only other platform": cat(code, oman, oblob),
		"other blob too":      cat(code, man, blob, oblob),
		"own blob twice":      cat(code, man, blob, blob),
		"own blob missing":    cat(code, man),
	}
	for name, data := range bad {
		if _, err := checkData(data, own, dir); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
