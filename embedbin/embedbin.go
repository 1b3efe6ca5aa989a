// Package embedbin holds the zstd-compressed Rust collector built for the
// platform this binary targets, and its manifest.
//
// The blob is embedded by a generated file, zz_embed_<goos>_<goarch>.go
// (`//go:build <goos> && <goarch>`), written by `make blobs` from
// platforms/ and the cross-built Rust binaries. Each generated file embeds its
// own platform's blob only, and registers it from init. A fresh clone has no
// generated file: the package still builds, and Collector reports what to run.
package embedbin

import (
	"fmt"
	"runtime"
)

// embedded is set by the generated file's init; one platform per build.
var embedded struct {
	platform       string
	manifest, blob []byte
}

func register(platform string, manifest, blob []byte) {
	if embedded.platform != "" {
		panic("embedbin: two blobs registered: " + embedded.platform + " and " + platform)
	}
	embedded.platform, embedded.manifest, embedded.blob = platform, manifest, blob
}

// Collector returns the manifest and the compressed Rust collector for this
// platform. The sha256 digests are not checked here: the extractor does that
// as it decompresses.
func Collector() (Manifest, []byte, error) {
	here := runtime.GOOS + "/" + runtime.GOARCH
	if embedded.platform == "" {
		return Manifest{}, nil, fmt.Errorf("embedbin: no Rust collector embedded for %s: build with `make build` (or `make blobs PLATFORMS=%s` before `go build`)", here, here)
	}
	m, err := ParseManifest(embedded.manifest)
	if err != nil {
		return Manifest{}, nil, fmt.Errorf("embedbin: embedded manifest for %s: %w", here, err)
	}
	if m.Platform != here || embedded.platform != here {
		return Manifest{}, nil, fmt.Errorf("embedbin: embedded blob is for %s, this binary runs on %s: regenerate with `make blobs PLATFORMS=%s`", m.Platform, here, here)
	}
	if int64(len(embedded.blob)) != m.CompressedSize {
		return Manifest{}, nil, fmt.Errorf("embedbin: embedded blob for %s is %d bytes, its manifest says %d: regenerate with `make blobs PLATFORMS=%s`", here, len(embedded.blob), m.CompressedSize, here)
	}
	return m, embedded.blob, nil
}
