//go:build linux

package extract

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A process SIGKILLed in the middle of writing leaves only a hidden temp
// file; the next start neither trusts nor keeps it.
func TestKilledMidWriteRecovered(t *testing.T) {
	a, blob := artifactFor(t, "payload", payloadRaw)
	dir := privDir(t)
	ready := filepath.Join(t.TempDir(), "ready")
	cmd := helperCmd(t, "stall", a, writeBlob(t, blob), dir, helperReadyEnv+"="+ready)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	must(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if _, err := os.Stat(ready); err == nil {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("stall helper exited early: %v: %s", err, errb.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatal("stall helper never reached mid-write")
		}
	}
	must(t, cmd.Process.Kill())
	if err := <-done; err == nil {
		t.Fatal("stall helper exited cleanly after SIGKILL")
	}

	final := filepath.Join(dir, "payload-"+a.RawSHA256)
	if _, err := os.Lstat(final); !os.IsNotExist(err) {
		t.Fatalf("a killed extraction left %s", final)
	}
	temps := hiddenTemps(t, dir)
	if len(temps) != 1 {
		t.Fatalf("expected the killed writer's temp file, found %v", entries(t, dir))
	}

	var logs logRecorder
	e, err := Executable(testCtx(t), a, blob, Options{Dir: dir, Mode: ModeDisk, Logger: logs.log})
	if err != nil {
		t.Fatal(err)
	}
	defer closeExe(t, e)
	if !e.Extracted {
		t.Fatal("recovery did not extract")
	}
	runPayload(t, e.Path)
	if left := hiddenTemps(t, dir); len(left) != 0 {
		t.Fatalf("temp files left after recovery: %v", left)
	}
	if !logs.contains("interrupted extraction") {
		t.Errorf("leftover removal not logged: %q", logs.lines)
	}
}

// A leftover temp file holding the complete, valid bytes is still not
// trusted: only the renamed final name is.
func TestLeftoverTempNotTrusted(t *testing.T) {
	a, blob := artifactFor(t, "payload", payloadRaw)
	dir := privDir(t)
	must(t, ensurePrivateDir(dir))
	tmp := filepath.Join(dir, tempPrefix(a)+"123")
	must(t, os.WriteFile(tmp, payloadRaw, 0o500))
	e, err := Executable(testCtx(t), a, blob, Options{Dir: dir, Mode: ModeDisk})
	if err != nil {
		t.Fatal(err)
	}
	defer closeExe(t, e)
	if !e.Extracted || e.Path == tmp {
		t.Fatalf("leftover temp reused: %+v", e)
	}
	if _, err := os.Lstat(tmp); !os.IsNotExist(err) {
		t.Fatal("leftover temp not removed")
	}
}

func hiddenTemps(t *testing.T, dir string) []string {
	var out []string
	for _, n := range entries(t, dir) {
		if strings.HasPrefix(n, ".") {
			out = append(out, n)
		}
	}
	return out
}
