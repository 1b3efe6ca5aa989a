package extract

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// FuzzArtifactValidate: whatever a manifest says, an artifact that passes
// validation yields file names that stay inside the cache directory and
// digests that are real sha256 hex.
func FuzzArtifactValidate(f *testing.F) {
	good := strings.Repeat("a1", 32)
	f.Add("otelcol-rust", good, good, int64(10), int64(20))
	f.Add("../etc", good, good, int64(1), int64(1))
	f.Add(".hidden", good, strings.ToUpper(good), int64(1), int64(1))
	f.Add("a/b", "xyz", good, int64(-1), int64(0))
	f.Add("a\x00b", good+"0", good, int64(1), int64(1))
	f.Fuzz(func(t *testing.T, name, cs, rs string, csize, rsize int64) {
		a := Artifact{Name: name, CompressedSHA256: cs, RawSHA256: rs, CompressedSize: csize, RawSize: rsize}
		if a.validate() != nil {
			return
		}
		for _, n := range []string{name + "-" + a.rawHex(), name + ".lock", tempPrefix(a) + "1"} {
			if filepath.Base(n) != n || n == ".." || strings.ContainsAny(n, "/\\\x00") {
				t.Fatalf("valid artifact gives unsafe file name %q", n)
			}
		}
		if strings.HasPrefix(name, ".") {
			t.Fatalf("valid name %q collides with hidden temp files", name)
		}
		for _, d := range []string{cs, rs} {
			if b, err := hex.DecodeString(d); err != nil || len(b) != sha256.Size {
				t.Fatalf("valid artifact with bad digest %q", d)
			}
		}
		if v, ok := versionOf(name+"-"+a.rawHex(), name); !ok || v != a.rawHex() {
			t.Fatalf("cache name of %q does not parse back", name)
		}
		if csize <= 0 || rsize <= 0 {
			t.Fatal("valid artifact with non-positive size")
		}
	})
}

// FuzzDecode: any blob (its compressed digest made to match, as a blob
// signed by a compromised build would be) either fails or produces exactly
// the manifest's bytes, within the size and memory bounds.
func FuzzDecode(f *testing.F) {
	enc, _ := zstd.NewWriter(nil)
	f.Add(enc.EncodeAll([]byte("hello hello hello hello"), nil), int64(23), false)
	f.Add(enc.EncodeAll(bytes.Repeat([]byte{0}, 1<<16), nil), int64(100), true)
	f.Add([]byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58, 0x00, 0x00}, int64(0), false)
	f.Fuzz(func(t *testing.T, blob []byte, rawSize int64, rawDigestRight bool) {
		if rawSize <= 0 || rawSize > 1<<20 || len(blob) == 0 {
			return
		}
		var out bytes.Buffer
		cs := sha256.Sum256(blob)
		a := Artifact{Name: "fuzz", CompressedSHA256: hex.EncodeToString(cs[:]), RawSHA256: strings.Repeat("0", 64),
			CompressedSize: int64(len(blob)), RawSize: rawSize}
		if rawDigestRight {
			// Decode once without a digest check to learn the "right" digest.
			var ce *ChecksumError
			if err := decodeTo(&out, a, blob, 1<<20); err != nil && !errors.As(err, &ce) {
				return // undecodable: the plain run below covers it
			}
			rs := sha256.Sum256(out.Bytes())
			a.RawSHA256 = hex.EncodeToString(rs[:])
			out.Reset()
		}
		err := decodeTo(&out, a, blob, 1<<20)
		if int64(out.Len()) > rawSize {
			t.Fatalf("wrote %d bytes, manifest allows %d", out.Len(), rawSize)
		}
		if err == nil {
			rs := sha256.Sum256(out.Bytes())
			if int64(out.Len()) != rawSize || !strings.EqualFold(hex.EncodeToString(rs[:]), a.RawSHA256) {
				t.Fatal("decodeTo succeeded on bytes that do not match the manifest")
			}
		}
	})
}
