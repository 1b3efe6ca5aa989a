package embedbin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"
	"unicode"

	"github.com/otelcol-hybrid/otelcol-hybrid/platforms"
)

// manifestSchema is bumped when the manifest's meaning changes, so an old
// extractor refuses a blob it would misread instead of guessing.
const manifestSchema = 1

// Bounds on the zstd window the encoder may have used. The extractor sizes its
// decoder's memory limit from ZstdWindowSize, so the manifest must not be able
// to ask for more than a few hundred MiB.
const (
	MinZstdWindow = 1 << 10 // zstd's own minimum
	MaxZstdWindow = 1 << 29 // klauspost encoder's maximum
)

// Manifest describes one embedded blob: the zstd-compressed Rust collector
// for one platform. It is written by scripts/embedgen next to the blob.
type Manifest struct {
	Platform         string    `json:"platform"` // "goos/goarch", a row of platforms/
	RustTarget       string    `json:"rust_target"`
	Version          string    `json:"version"` // otelcol-rust's Cargo version
	CompressedSHA256 string    `json:"compressed_sha256"`
	RawSHA256        string    `json:"raw_sha256"`
	CompressedSize   int64     `json:"compressed_size"`
	RawSize          int64     `json:"raw_size"`
	ZstdWindowSize   int64     `json:"zstd_window_size"` // bytes; bound the decoder with it
	BuildTime        time.Time `json:"build_time"`       // SOURCE_DATE_EPOCH, UTC
}

// wireManifest is the on-disk form: the manifest plus its schema number.
type wireManifest struct {
	Schema int `json:"schema"`
	Manifest
}

// Encode returns the canonical JSON form (stable key order, UTC time,
// trailing newline), so two builds of the same blob give identical bytes.
func (m Manifest) Encode() ([]byte, error) {
	m.BuildTime = m.BuildTime.UTC()
	if err := m.validate(); err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(wireManifest{Schema: manifestSchema, Manifest: m}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("embedbin: encode manifest: %w", err)
	}
	return append(b, '\n'), nil
}

// ParseManifest decodes and strictly validates a manifest: unknown fields,
// trailing data, a wrong schema, malformed digests, non-positive sizes, an
// out-of-range window or a platform not in the table are all errors.
func ParseManifest(data []byte) (Manifest, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var w wireManifest
	if err := dec.Decode(&w); err != nil {
		return Manifest{}, fmt.Errorf("embedbin: manifest: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Manifest{}, fmt.Errorf("embedbin: manifest: trailing data after the JSON object")
	}
	if w.Schema != manifestSchema {
		return Manifest{}, fmt.Errorf("embedbin: manifest: schema %d, this build reads schema %d", w.Schema, manifestSchema)
	}
	m := w.Manifest
	m.BuildTime = m.BuildTime.UTC()
	if err := m.validate(); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

func (m Manifest) validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("embedbin: manifest: %s: %s", field, fmt.Sprintf(format, args...))
	}
	p, ok := lookupPlatform(m.Platform)
	if !ok {
		return bad("platform", "%q is not in the platform table", m.Platform)
	}
	if m.RustTarget != p.RustTarget {
		return bad("rust_target", "%q, the platform table says %q for %s", m.RustTarget, p.RustTarget, p)
	}
	if m.Version == "" || len(m.Version) > 64 || !printableNoSpace(m.Version) {
		return bad("version", "%q is not a 1-64 character version string", m.Version)
	}
	if !isSHA256Hex(m.CompressedSHA256) {
		return bad("compressed_sha256", "%q is not 64 lowercase hex digits", m.CompressedSHA256)
	}
	if !isSHA256Hex(m.RawSHA256) {
		return bad("raw_sha256", "%q is not 64 lowercase hex digits", m.RawSHA256)
	}
	if m.CompressedSize <= 0 {
		return bad("compressed_size", "%d is not positive", m.CompressedSize)
	}
	if m.RawSize <= 0 {
		return bad("raw_size", "%d is not positive", m.RawSize)
	}
	w := m.ZstdWindowSize
	if w < MinZstdWindow || w > MaxZstdWindow || w&(w-1) != 0 {
		return bad("zstd_window_size", "%d is not a power of two in [%d, %d]", w, MinZstdWindow, MaxZstdWindow)
	}
	if m.BuildTime.IsZero() {
		return bad("build_time", "missing")
	}
	return nil
}

func lookupPlatform(s string) (platforms.Platform, bool) {
	for _, p := range platforms.All() {
		if p.String() == s {
			return p, true
		}
	}
	return platforms.Platform{}, false
}

func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func printableNoSpace(s string) bool {
	for _, r := range s {
		if !unicode.IsPrint(r) || unicode.IsSpace(r) {
			return false
		}
	}
	return true
}
