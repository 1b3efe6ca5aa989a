//go:build linux

package extract

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// XDG_RUNTIME_DIR on a real noexec tmpfs: the search skips it, says why,
// and uses TMPDIR. Without root, the same path runs with an injected check.
func TestNoexecFallsBackToNextCandidate(t *testing.T) {
	a, blob := artifactFor(t, "payload", payloadRaw)
	noexec, mounted := mountTmpfs(t, unix.MS_NOEXEC, "size=16m,mode=0700")
	var hooks *testHooks
	if !mounted {
		t.Log("not root or mount refused: using an injected noexec check instead of a real noexec mount")
		noexec = t.TempDir()
		hooks = &testHooks{noexec: func(dir string) error {
			if strings.HasPrefix(dir, noexec) {
				return fmt.Errorf("%s is on a noexec mount (injected)", dir)
			}
			return nil
		}}
	}
	tmp := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", noexec)
	t.Setenv("TMPDIR", tmp)
	var logs logRecorder
	opts := Options{Mode: ModeDisk, Logger: logs.log, hooks: hooks}
	e, err := Executable(testCtx(t), a, blob, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer closeExe(t, e)
	if !strings.HasPrefix(e.Dir, tmp) {
		t.Fatalf("Dir = %s, want under TMPDIR %s", e.Dir, tmp)
	}
	if !logs.contains("noexec") {
		t.Errorf("noexec skip not logged: %q", logs.lines)
	}
	runPayload(t, e.Path)
}

// When every candidate is noexec the error lists each one and why.
func TestAllCandidatesNoexecListsEach(t *testing.T) {
	a, blob := artifactFor(t, "payload", payloadRaw)
	root, mounted := mountTmpfs(t, unix.MS_NOEXEC, "size=16m,mode=0700")
	if !mounted {
		t.Skip("needs root to mount a noexec tmpfs (covered by the injected check in TestNoexecFallsBackToNextCandidate)")
	}
	for _, d := range []string{"xdg", "tmp", "home"} {
		must(t, os.Mkdir(filepath.Join(root, d), 0o700))
	}
	t.Setenv("XDG_RUNTIME_DIR", filepath.Join(root, "xdg"))
	t.Setenv("TMPDIR", filepath.Join(root, "tmp"))
	t.Setenv("XDG_CACHE_HOME", filepath.Join(root, "home"))
	_, err := Executable(testCtx(t), a, blob, Options{Mode: ModeDisk})
	var nl *NoLocationError
	if !errors.As(err, &nl) || len(nl.Attempts) != 3 {
		t.Fatalf("err = %v, want a NoLocationError with 3 attempts", err)
	}
	for _, at := range nl.Attempts {
		if !strings.Contains(at, "noexec") {
			t.Errorf("attempt %q does not say noexec", at)
		}
	}
}

// Disk full: a clear error naming the temp file, and nothing left behind.
func TestENOSPCLeavesNothing(t *testing.T) {
	a, blob := artifactFor(t, "payload", payloadRaw)
	root, mounted := mountTmpfs(t, 0, fmt.Sprintf("size=%d,mode=0700", len(payloadRaw)/4))
	if !mounted {
		t.Skip("needs root to mount a size-limited tmpfs")
	}
	dir := filepath.Join(root, "cache")
	_, err := Executable(testCtx(t), a, blob, Options{Dir: dir, Mode: ModeDisk})
	if err == nil || !strings.Contains(err.Error(), "no space left on device") || !strings.Contains(err.Error(), dir) {
		t.Fatalf("err = %v, want ENOSPC naming %s", err, dir)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Fatalf("error spans lines: %q", err)
	}
	for _, n := range entries(t, dir) {
		if !strings.HasSuffix(n, ".lock") {
			t.Fatalf("%s left behind after ENOSPC", n)
		}
	}
}

// Read-only location: clear error, nothing created.
func TestReadOnlyDirRefused(t *testing.T) {
	a, blob := artifactFor(t, "payload", payloadRaw)
	root, mounted := mountTmpfs(t, unix.MS_RDONLY, "size=1m,mode=0700")
	if !mounted {
		t.Skip("needs root to mount a read-only tmpfs")
	}
	dir := filepath.Join(root, "cache")
	_, err := Executable(testCtx(t), a, blob, Options{Dir: dir, Mode: ModeDisk})
	if err == nil || !strings.Contains(err.Error(), "read-only file system") || !strings.Contains(err.Error(), dir) {
		t.Fatalf("err = %v, want a read-only error naming %s", err, dir)
	}
}
