//go:build linux

package extract

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"golang.org/x/sys/unix"
)

// payloadRaw is a real, tiny ELF executable built in TestMain; it prints
// payloadGreeting so tests can tell it apart from anything planted.
var payloadRaw []byte

const payloadGreeting = "hello from the verified payload"

const payloadSource = `package main

import (
	"fmt"
	"os"
)

func main() { fmt.Println("` + payloadGreeting + `", len(os.Args)-1) }
`

func TestMain(m *testing.M) {
	// Helper-process pattern: the test binary re-executed as one of many
	// concurrent extractors (see helper_linux_test.go).
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(runHelper(mode))
	}
	dir, err := os.MkdirTemp("", "extract-payload-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "payload: ", err)
		os.Exit(1)
	}
	payloadRaw, err = buildPayload(dir)
	_ = os.RemoveAll(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "payload:", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

func buildPayload(dir string) ([]byte, error) {
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(payloadSource), 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module payload\n\ngo 1.21\n"), 0o600); err != nil {
		return nil, err
	}
	out := filepath.Join(dir, "payload")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=mod", "GOWORK=off")
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build: %w\n%s", err, b)
	}
	return os.ReadFile(out)
}

// artifactFor compresses raw the way the build does and records digests.
func artifactFor(t testing.TB, name string, raw []byte) (Artifact, []byte) {
	t.Helper()
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault))
	if err != nil {
		t.Fatal(err)
	}
	blob := enc.EncodeAll(raw, nil)
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	return artifactOf(name, raw, blob), blob
}

func artifactOf(name string, raw, blob []byte) Artifact {
	rs, cs := sha256.Sum256(raw), sha256.Sum256(blob)
	return Artifact{
		Name:             name,
		CompressedSHA256: hex.EncodeToString(cs[:]),
		RawSHA256:        hex.EncodeToString(rs[:]),
		CompressedSize:   int64(len(blob)),
		RawSize:          int64(len(raw)),
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// privDir returns a path for a not-yet-existing private cache directory.
func privDir(t *testing.T) string {
	return filepath.Join(t.TempDir(), "cache")
}

// runPayload execs path and checks it is the genuine payload.
func runPayload(t *testing.T, path string) {
	t.Helper()
	var out []byte
	err := RetryETXTBSY(context.Background(), func() error {
		var err error
		out, err = exec.Command(path, "x").CombinedOutput()
		return err
	})
	if err != nil {
		t.Fatalf("exec %s: %v: %s", path, err, out)
	}
	if want := payloadGreeting + " 1\n"; string(out) != want {
		t.Fatalf("exec %s printed %q, want %q", path, out, want)
	}
}

// logRecorder collects Logger lines for assertions.
type logRecorder struct{ lines []string }

func (l *logRecorder) log(msg string, kv ...any) {
	l.lines = append(l.lines, fmt.Sprint(append([]any{msg}, kv...)...))
}

func (l *logRecorder) contains(s string) bool {
	return strings.Contains(strings.Join(l.lines, "\n"), s)
}

// mountTmpfs mounts a fresh tmpfs with the given options on a temp dir and
// returns it. Only root can; the caller decides what to do otherwise.
func mountTmpfs(t *testing.T, flags uintptr, data string) (string, bool) {
	t.Helper()
	if os.Geteuid() != 0 {
		return "", false
	}
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", flags, data); err != nil {
		t.Logf("cannot mount tmpfs (%s) on %s: %v", data, dir, err)
		return "", false
	}
	t.Cleanup(func() {
		if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir, true
}

// entries lists a directory's names, for "nothing left behind" checks.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
