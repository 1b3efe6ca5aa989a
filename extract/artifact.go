package extract

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// Artifact describes the executable to extract, as recorded at build time.
// Digests are lowercase or uppercase hex sha256.
type Artifact struct {
	Name             string // short name used in file names, e.g. "otelcol-rust"
	CompressedSHA256 string // sha256 of the zstd blob
	RawSHA256        string // sha256 of the decompressed executable
	CompressedSize   int64  // length of the zstd blob
	RawSize          int64  // length of the decompressed executable
}

// validate checks the artifact before any of its fields is used in a path
// or a comparison: Name becomes part of file names, so it must be a single
// harmless path component, and digests must be real sha256 hex.
func (a Artifact) validate() error {
	if err := validName(a.Name); err != nil {
		return fmt.Errorf("extract: artifact name %q: %w", a.Name, err)
	}
	for _, d := range []struct{ field, v string }{
		{"CompressedSHA256", a.CompressedSHA256},
		{"RawSHA256", a.RawSHA256},
	} {
		if err := validDigest(d.v); err != nil {
			return fmt.Errorf("extract: artifact %s %s %q: %w", a.Name, d.field, d.v, err)
		}
	}
	if a.CompressedSize <= 0 {
		return fmt.Errorf("extract: artifact %s: CompressedSize %d must be positive", a.Name, a.CompressedSize)
	}
	if a.RawSize <= 0 {
		return fmt.Errorf("extract: artifact %s: RawSize %d must be positive", a.Name, a.RawSize)
	}
	return nil
}

// validName allows only [A-Za-z0-9._-], not starting with '.' (hidden names
// are reserved for temp files) and at most 64 bytes: no separators, no "..".
func validName(n string) error {
	if n == "" {
		return fmt.Errorf("empty")
	}
	if len(n) > 64 {
		return fmt.Errorf("longer than 64 bytes")
	}
	if n[0] == '.' || n[0] == '-' {
		return fmt.Errorf("must not start with '.' or '-'")
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
		if !ok {
			return fmt.Errorf("byte %q at %d not in [A-Za-z0-9._-]", c, i)
		}
	}
	return nil
}

func validDigest(d string) error {
	if len(d) != 64 {
		return fmt.Errorf("want 64 hex characters, got %d", len(d))
	}
	if _, err := hex.DecodeString(d); err != nil {
		return fmt.Errorf("not hex")
	}
	return nil
}

// rawHex is the canonical (lowercase) raw digest used in file names, so
// "ABC…" and "abc…" manifests share one cache entry.
func (a Artifact) rawHex() string { return strings.ToLower(a.RawSHA256) }
