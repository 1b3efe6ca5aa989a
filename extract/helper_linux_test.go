//go:build linux

package extract

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// The test binary re-executes itself with helperEnv set to act as an
// independent process (its own flocks, its own fds), like N copies of the
// product starting at once.
const (
	helperEnv         = "EXTRACT_TEST_HELPER"
	helperArtifactEnv = "EXTRACT_TEST_ARTIFACT"
	helperBlobEnv     = "EXTRACT_TEST_BLOB"
	helperDirEnv      = "EXTRACT_TEST_DIR"
	helperBarrierEnv  = "EXTRACT_TEST_BARRIER" // file whose appearance starts all helpers at once
	helperReadyEnv    = "EXTRACT_TEST_READY"   // file the "stall" helper creates mid-write
)

func runHelper(mode string) int {
	fail := func(format string, args ...any) int {
		fmt.Fprintf(os.Stderr, "helper %s: "+format+"\n", append([]any{mode}, args...)...)
		return 1
	}
	var a Artifact
	if err := json.Unmarshal([]byte(os.Getenv(helperArtifactEnv)), &a); err != nil {
		return fail("artifact: %v", err)
	}
	blob, err := os.ReadFile(os.Getenv(helperBlobEnv))
	if err != nil {
		return fail("blob: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	opts := Options{Dir: os.Getenv(helperDirEnv), Mode: ModeDisk}

	switch mode {
	case "extract":
		if b := os.Getenv(helperBarrierEnv); b != "" {
			for {
				if _, err := os.Stat(b); err == nil {
					break
				}
				if ctx.Err() != nil {
					return fail("barrier never appeared")
				}
				time.Sleep(time.Millisecond)
			}
		}
		e, err := Executable(ctx, a, blob, opts)
		if err != nil {
			return fail("%v", err)
		}
		defer func() { _ = e.Close() }()
		out, err := exec.Command(e.Path, "x").CombinedOutput()
		if err != nil || string(out) != payloadGreeting+" 1\n" {
			return fail("exec %s: %v: %q", e.Path, err, out)
		}
		fmt.Printf("extracted=%v\n", e.Extracted)
		return 0
	case "stall":
		ready := os.Getenv(helperReadyEnv)
		opts.hooks = &testHooks{midWrite: func() {
			if err := os.WriteFile(ready, nil, 0o600); err != nil {
				panic(err) // the parent would wait for the ready file forever
			}
			time.Sleep(10 * time.Minute) // the parent SIGKILLs us here
		}}
		_, err := Executable(ctx, a, blob, opts)
		return fail("stall helper was not killed mid-write (err=%v)", err)
	}
	return fail("unknown mode")
}

// helperCmd prepares a re-execution of the test binary in mode.
func helperCmd(t *testing.T, mode string, a Artifact, blobPath, dir string, extraEnv ...string) *exec.Cmd {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, "-test.run=^$")
	cmd.Env = append(os.Environ(),
		helperEnv+"="+mode,
		helperArtifactEnv+"="+mustJSON(a),
		helperBlobEnv+"="+blobPath,
		helperDirEnv+"="+dir,
	)
	cmd.Env = append(cmd.Env, extraEnv...)
	return cmd
}

func writeBlob(t *testing.T, blob []byte) string {
	p := filepath.Join(t.TempDir(), "blob.zst")
	if err := os.WriteFile(p, blob, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
