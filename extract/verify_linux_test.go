//go:build linux

package extract

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

func TestColdThenWarmDisk(t *testing.T) {
	a, blob := artifactFor(t, "payload", payloadRaw)
	dir := privDir(t)
	e, err := Executable(testCtx(t), a, blob, Options{Dir: dir, Mode: ModeDisk})
	if err != nil {
		t.Fatal(err)
	}
	if !e.Extracted || e.Memfd || e.Dir != dir || e.Path != filepath.Join(dir, "payload-"+a.RawSHA256) {
		t.Fatalf("cold Exe = %+v", e)
	}
	fi, err := os.Stat(e.Path)
	if err != nil || fi.Mode().Perm() != 0o500 {
		t.Fatalf("cached file mode %v, err %v; want 0500", fi.Mode(), err)
	}
	di, _ := os.Stat(dir)
	if di.Mode().Perm() != 0o700 {
		t.Fatalf("dir mode %v, want 0700", di.Mode())
	}
	runPayload(t, e.Path)
	closeExe(t, e)

	e2, err := Executable(testCtx(t), a, blob, Options{Dir: dir, Mode: ModeDisk})
	if err != nil {
		t.Fatal(err)
	}
	defer closeExe(t, e2)
	if e2.Extracted || e2.Path != e.Path {
		t.Fatalf("warm start re-extracted or moved: %+v", e2)
	}
	runPayload(t, e2.Path)
	for _, n := range entries(t, dir) {
		if n != filepath.Base(e.Path) && n != filepath.Base(e.Path)+".lock" && n != filepath.Base(e.Path)+".verified" && n != "payload.lock" {
			t.Errorf("unexpected file %s in cache dir", n)
		}
		// Nothing we leave is group/world accessible.
		if fi, err := os.Lstat(filepath.Join(dir, n)); err != nil || fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s: mode %v (err %v), want no group/world bits", n, fi.Mode(), err)
		}
	}
}

func TestTamperedCompressedBlobRefused(t *testing.T) {
	a, blob := artifactFor(t, "payload", payloadRaw)
	bad := append([]byte(nil), blob...)
	bad[len(bad)/2] ^= 0x40
	for _, mode := range []Mode{ModeDisk, ModeMemfd} {
		dir := privDir(t)
		_, err := Executable(testCtx(t), a, bad, Options{Dir: dir, Mode: mode})
		var ce *ChecksumError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), "checksum mismatch") ||
			!strings.Contains(err.Error(), a.CompressedSHA256) || ce.Got == "" || ce.Got == a.CompressedSHA256 {
			t.Fatalf("%v: err = %v, want checksum mismatch naming both digests", mode, err)
		}
		for _, n := range entries(t, dir) {
			if !strings.HasSuffix(n, ".lock") {
				t.Fatalf("%v: %s left in the cache dir for a tampered blob", mode, n)
			}
		}
	}
}

func TestTamperedRawDigestRefused(t *testing.T) {
	a, blob := artifactFor(t, "payload", payloadRaw)
	a.RawSHA256 = strings.Repeat("ab", 32) // the decompressed bytes will not match
	for _, mode := range []Mode{ModeDisk, ModeMemfd, ModeAuto} {
		dir := privDir(t)
		e, err := Executable(testCtx(t), a, blob, Options{Dir: dir, Mode: mode})
		if err == nil {
			closeExe(t, e)
			t.Fatalf("%v: tampered raw digest accepted", mode)
		}
		if !strings.Contains(err.Error(), "checksum mismatch") || !strings.Contains(err.Error(), a.RawSHA256) ||
			!strings.Contains(err.Error(), artifactOf("x", payloadRaw, nil).RawSHA256) {
			t.Fatalf("%v: err = %v, want checksum mismatch naming both digests", mode, err)
		}
		// Nothing left that a later start could trust: no final, no temp.
		for _, n := range entries(t, dir) {
			if n != "payload.lock" && n != "payload-"+a.RawSHA256+".lock" {
				t.Fatalf("%v: %s left in cache dir after a mismatch", mode, n)
			}
		}
	}
}

// A file planted at the cached path (same name, valid mode) must never run:
// the warm start re-hashes it and replaces it with the verified payload.
func TestTamperedCachedFileNeverRun(t *testing.T) {
	a, blob, dir, path := extractedOnce(t)
	marker := plantProgram(t, path)

	var logs logRecorder
	e2, err := Executable(testCtx(t), a, blob, Options{Dir: dir, Mode: ModeDisk, Logger: logs.log})
	if err != nil {
		t.Fatal(err)
	}
	defer closeExe(t, e2)
	if !e2.Extracted {
		t.Fatal("tampered cached file reused")
	}
	if !logs.contains("checksum mismatch") {
		t.Errorf("no log line about the rejected file: %q", logs.lines)
	}
	runPayload(t, e2.Path)
	if _, err := os.Stat(marker); !os.IsNotExist(err) {
		t.Fatal("the planted program was executed")
	}
}

// A cached path that is a symlink to a valid copy is not followed.
func TestCachedSymlinkReplaced(t *testing.T) {
	a, blob := artifactFor(t, "payload", payloadRaw)
	dir := privDir(t)
	if err := ensurePrivateDir(dir); err != nil {
		t.Fatal(err)
	}
	elsewhere := filepath.Join(t.TempDir(), "p")
	if err := os.WriteFile(elsewhere, payloadRaw, 0o500); err != nil {
		t.Fatal(err)
	}
	final := filepath.Join(dir, "payload-"+a.RawSHA256)
	if err := os.Symlink(elsewhere, final); err != nil {
		t.Fatal(err)
	}
	e, err := Executable(testCtx(t), a, blob, Options{Dir: dir, Mode: ModeDisk})
	if err != nil {
		t.Fatal(err)
	}
	defer closeExe(t, e)
	if fi, err := os.Lstat(final); err != nil || !fi.Mode().IsRegular() || !e.Extracted {
		t.Fatalf("symlink at cached path not replaced: %v %v %+v", fi.Mode(), err, e)
	}
}

// A hostile blob that needs a bigger window than allowed is refused by the
// decoder instead of allocating it.
func TestDecoderWindowBounded(t *testing.T) {
	raw := make([]byte, 6<<20)
	for i := range raw {
		raw[i] = byte(i*7 + i>>13)
	}
	enc, _ := zstd.NewWriter(nil, zstd.WithWindowSize(8<<20), zstd.WithSingleSegment(false))
	blob := enc.EncodeAll(raw, nil)
	a := artifactOf("big", raw, blob)
	_, err := Executable(testCtx(t), a, blob, Options{Dir: privDir(t), Mode: ModeDisk, MaxDecoderMemory: 1 << 20})
	if err == nil || !isContentError(err) || !strings.Contains(err.Error(), "decompress") {
		t.Fatalf("err = %v, want a decompress error from the memory bound", err)
	}
	// The same blob is fine with the default bound.
	e, err := Executable(testCtx(t), a, blob, Options{Dir: privDir(t), Mode: ModeDisk})
	if err != nil {
		t.Fatal(err)
	}
	closeExe(t, e)
}

// Output beyond the manifest's raw size is cut off, not written.
func TestRawSizeBounded(t *testing.T) {
	a, blob := artifactFor(t, "payload", payloadRaw)
	a.RawSize = 4096
	dir := privDir(t)
	_, err := Executable(testCtx(t), a, blob, Options{Dir: dir, Mode: ModeDisk})
	if err == nil || !strings.Contains(err.Error(), "exceeds the manifest's raw size") {
		t.Fatalf("err = %v", err)
	}
	for _, n := range entries(t, dir) {
		if strings.HasPrefix(n, ".") {
			t.Fatalf("temp file %s left behind", n)
		}
	}
}

// plantProgram overwrites the cached executable at path, keeping its size
// (so a size check alone cannot catch it) and mode, with a script that
// creates the returned marker file if it is ever run.
func plantProgram(t *testing.T, path string) (marker string) {
	t.Helper()
	marker = filepath.Join(t.TempDir(), "planted-program-ran")
	script := "#!/bin/sh\necho planted > " + marker + "\n"
	planted := []byte(script + strings.Repeat("#", len(payloadRaw)-len(script)-1) + "\n")
	for _, err := range []error{os.Chmod(path, 0o700), os.WriteFile(path, planted, 0o500), os.Chmod(path, 0o500)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return marker
}

// extractedOnce extracts the test payload into a new private cache dir and
// closes it, as a first start leaves it; it returns what a warm start needs.
func extractedOnce(t *testing.T) (a Artifact, blob []byte, dir, path string) {
	t.Helper()
	a, blob = artifactFor(t, "payload", payloadRaw)
	dir = privDir(t)
	e, err := Executable(testCtx(t), a, blob, Options{Dir: dir, Mode: ModeDisk})
	if err != nil {
		t.Fatal(err)
	}
	closeExe(t, e)
	return a, blob, dir, e.Path
}
