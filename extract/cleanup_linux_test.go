//go:build linux

package extract

import (
	"os"
	"testing"
)

// An older version is removed only once no Exe holds it.
func TestStaleVersionRemovedOnlyWhenUnused(t *testing.T) {
	dir := privDir(t)
	v1, blob1 := artifactFor(t, "payload", payloadRaw)
	// A second "version": same program plus trailing bytes (ELF ignores them).
	raw2 := append(append([]byte(nil), payloadRaw...), []byte("version-2")...)
	v2, blob2 := artifactFor(t, "payload", raw2)

	old, err := Executable(testCtx(t), v1, blob1, Options{Dir: dir, Mode: ModeDisk})
	must(t, err)

	var logs logRecorder
	cur, err := Executable(testCtx(t), v2, blob2, Options{Dir: dir, Mode: ModeDisk, Logger: logs.log})
	must(t, err)
	if _, err := os.Stat(old.Path); err != nil {
		t.Fatalf("in-use older version removed: %v", err)
	}
	if !logs.contains("still in use") {
		t.Errorf("kept version not logged: %q", logs.lines)
	}
	runPayload(t, old.Path)
	must(t, old.Close())
	must(t, cur.Close())

	// Next start (warm) of v2: v1 is unused now and goes away, its record
	// and lock included.
	cur2, err := Executable(testCtx(t), v2, blob2, Options{Dir: dir, Mode: ModeDisk})
	must(t, err)
	defer closeExe(t, cur2)
	if cur2.Extracted {
		t.Error("warm start re-extracted")
	}
	for _, p := range []string{old.Path, old.Path + ".verified", old.Path + ".lock"} {
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Errorf("%s not removed once unused", p)
		}
	}
	runPayload(t, cur2.Path)
}

// Another artifact sharing the directory is never touched.
func TestCleanupIgnoresOtherArtifacts(t *testing.T) {
	dir := privDir(t)
	other, blobO := artifactFor(t, "payload-two", payloadRaw)
	eo, err := Executable(testCtx(t), other, blobO, Options{Dir: dir, Mode: ModeDisk})
	must(t, err)
	must(t, eo.Close())
	raw2 := append(append([]byte(nil), payloadRaw...), 'x')
	a, blob := artifactFor(t, "payload", raw2)
	e, err := Executable(testCtx(t), a, blob, Options{Dir: dir, Mode: ModeDisk})
	must(t, err)
	defer closeExe(t, e)
	if _, err := os.Stat(eo.Path); err != nil {
		t.Fatalf("other artifact's file removed: %v", err)
	}
}
