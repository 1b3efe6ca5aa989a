//go:build linux

package extract

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestUnsafeDirRefused(t *testing.T) {
	a, blob := artifactFor(t, "payload", payloadRaw)
	cases := []struct {
		name, want string
		setup      func(t *testing.T, dir string)
		needsRoot  bool
	}{
		{"symlink", "it is a symlink", func(t *testing.T, dir string) {
			target := filepath.Join(t.TempDir(), "real")
			must(t, os.Mkdir(target, 0o700))
			must(t, os.Symlink(target, dir))
		}, false},
		{"world-accessible", "mode 0777 is group/world accessible", func(t *testing.T, dir string) {
			must(t, os.Mkdir(dir, 0o700))
			must(t, os.Chmod(dir, 0o777))
		}, false},
		{"group-readable", "mode 0750 is group/world accessible", func(t *testing.T, dir string) {
			must(t, os.Mkdir(dir, 0o700))
			must(t, os.Chmod(dir, 0o750))
		}, false},
		{"foreign-owned", "owned by uid 65534", func(t *testing.T, dir string) {
			must(t, os.Mkdir(dir, 0o700))
			must(t, os.Chown(dir, 65534, 65534))
		}, true},
		{"not-a-directory", "not a directory", func(t *testing.T, dir string) {
			must(t, os.WriteFile(dir, nil, 0o600))
		}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.needsRoot && os.Geteuid() != 0 {
				t.Skip("chown to another uid needs root")
			}
			dir := privDir(t)
			c.setup(t, dir)
			e, err := Executable(testCtx(t), a, blob, Options{Dir: dir, Mode: ModeDisk})
			if err == nil {
				closeExe(t, e)
				t.Fatalf("%s accepted", dir)
			}
			var nl *NoLocationError
			if !errors.As(err, &nl) || !strings.Contains(err.Error(), "refusing "+dir+": "+c.want) {
				t.Fatalf("err = %v, want refusing %s: %s", err, dir, c.want)
			}
			if strings.Count(err.Error(), "\n") != 0 {
				t.Fatalf("error is not one line: %q", err)
			}
		})
	}
}

// The automatic search skips an unsafe candidate (here a 0777 dir planted
// in $XDG_RUNTIME_DIR) and uses the next one, TMPDIR, creating it 0700.
func TestSearchSkipsUnsafeCandidate(t *testing.T) {
	a, blob := artifactFor(t, "payload", payloadRaw)
	xdg, tmp, home := t.TempDir(), t.TempDir(), t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", xdg)
	t.Setenv("TMPDIR", tmp)
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, ".cache"))
	sub := "payload-" + itoa(os.Geteuid())
	must(t, os.Mkdir(filepath.Join(xdg, sub), 0o700))
	must(t, os.Chmod(filepath.Join(xdg, sub), 0o777))

	var logs logRecorder
	e, err := Executable(testCtx(t), a, blob, Options{Mode: ModeDisk, Logger: logs.log})
	if err != nil {
		t.Fatal(err)
	}
	defer closeExe(t, e)
	if e.Dir != filepath.Join(tmp, sub) {
		t.Fatalf("Dir = %s, want %s", e.Dir, filepath.Join(tmp, sub))
	}
	if !logs.contains("group/world accessible") {
		t.Errorf("skip not logged: %q", logs.lines)
	}
	runPayload(t, e.Path)
}

func TestEnvVarOverride(t *testing.T) {
	a, blob := artifactFor(t, "payload", payloadRaw)
	dir := privDir(t)
	t.Setenv("EXTRACT_TEST_CACHE_DIR", dir)
	e, err := Executable(testCtx(t), a, blob, Options{Mode: ModeDisk, EnvVar: "EXTRACT_TEST_CACHE_DIR"})
	if err != nil {
		t.Fatal(err)
	}
	defer closeExe(t, e)
	if e.Dir != dir {
		t.Fatalf("Dir = %s, want %s from the env var", e.Dir, dir)
	}
	// Dir wins over the env var.
	other := privDir(t)
	e2, err := Executable(testCtx(t), a, blob, Options{Mode: ModeDisk, EnvVar: "EXTRACT_TEST_CACHE_DIR", Dir: other})
	if err != nil {
		t.Fatal(err)
	}
	defer closeExe(t, e2)
	if e2.Dir != other {
		t.Fatalf("Dir = %s, want %s from Options.Dir", e2.Dir, other)
	}
}

func TestArtifactValidation(t *testing.T) {
	a, blob := artifactFor(t, "payload", payloadRaw)
	for _, bad := range []func(*Artifact){
		func(a *Artifact) { a.Name = "../evil" },
		func(a *Artifact) { a.Name = "" },
		func(a *Artifact) { a.RawSHA256 = "zz" },
		func(a *Artifact) { a.CompressedSHA256 = strings.Repeat("g", 64) },
		func(a *Artifact) { a.RawSize = 0 },
		func(a *Artifact) { a.CompressedSize = 1 },
	} {
		b := a
		bad(&b)
		if e, err := Executable(testCtx(t), b, blob, Options{Dir: privDir(t), Mode: ModeDisk}); err == nil {
			closeExe(t, e)
			t.Errorf("artifact %+v accepted", b)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// closeExe closes e and fails the test if that fails: Close releases the
// in-use lock and the memfd, which is behaviour under test too.
func closeExe(t testing.TB, e *Exe) {
	t.Helper()
	if err := e.Close(); err != nil {
		t.Errorf("Exe.Close: %v", err)
	}
}
