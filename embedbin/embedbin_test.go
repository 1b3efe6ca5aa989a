package embedbin

import (
	"crypto/sha256"
	"encoding/hex"
	"runtime"
	"strings"
	"testing"
)

func TestCollectorNoBlob(t *testing.T) {
	saved := embedded
	t.Cleanup(func() { embedded = saved })
	embedded.platform, embedded.manifest, embedded.blob = "", nil, nil

	_, blob, err := Collector()
	if err == nil || blob != nil {
		t.Fatalf("Collector() without a blob: blob %d bytes, err %v", len(blob), err)
	}
	here := runtime.GOOS + "/" + runtime.GOARCH
	for _, want := range []string{here, "make build", "make blobs PLATFORMS=" + here} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestCollectorWrongSize(t *testing.T) {
	saved := embedded
	t.Cleanup(func() { embedded = saved })
	m := validManifest()
	m.Platform = runtime.GOOS + "/" + runtime.GOARCH
	p, ok := lookupPlatform(m.Platform)
	if !ok {
		t.Skipf("host %s is not in the platform table", m.Platform)
	}
	m.RustTarget = p.RustTarget
	b, _ := m.Encode()
	embedded.platform, embedded.manifest, embedded.blob = m.Platform, b, []byte("short")
	if _, _, err := Collector(); err == nil || !strings.Contains(err.Error(), "manifest says 1234") {
		t.Errorf("size mismatch not reported: %v", err)
	}
}

// When `make blobs` has generated this platform's file, the embedded pair must
// be consistent: the digest in the manifest is the blob's.
func TestCollectorEmbedded(t *testing.T) {
	if embedded.platform == "" {
		t.Skip("no blob generated for this platform (run make blobs)")
	}
	m, blob, err := Collector()
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(blob)
	if hex.EncodeToString(sum[:]) != m.CompressedSHA256 {
		t.Errorf("embedded blob sha256 %x, manifest says %s", sum, m.CompressedSHA256)
	}
}
