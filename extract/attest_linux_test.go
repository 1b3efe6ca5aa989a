//go:build linux

package extract

import (
	"os"
	"strings"
	"testing"
	"time"
)

// hashCounter counts the full hashes of a cached file an Executable does.
func hashCounter() (*testHooks, *int) {
	n := 0
	return &testHooks{fullHash: func() { n++ }}, &n
}

// A warm start that finds the file it recorded does not hash it again; one
// whose record is stale, planted or unsafe hashes it in full.
func TestWarmStartTrustsOnlyItsOwnRecord(t *testing.T) {
	a, blob, dir, path := extractedOnce(t)
	warm := func() int {
		t.Helper()
		hooks, n := hashCounter()
		e, err := Executable(testCtx(t), a, blob, Options{Dir: dir, Mode: ModeDisk, hooks: hooks})
		if err != nil {
			t.Fatal(err)
		}
		defer closeExe(t, e)
		if e.Extracted {
			t.Fatal("a valid cached file was extracted again")
		}
		runPayload(t, e.Path)
		return *n
	}
	record := path + attestSuffix
	if n := warm(); n != 0 {
		t.Fatalf("warm start after extraction hashed %d times, want 0 (record: %v)", n, fileText(record))
	}

	cases := []struct {
		name  string
		spoil func()
	}{
		{"no record", func() { mustDo(t, os.Remove(record)) }},
		{"record of another file", func() {
			mustDo(t, os.WriteFile(record, []byte(strings.Replace(fileText(record), "ino=", "ino=1", 1)), 0o600))
		}},
		{"record others can write", func() { mustDo(t, os.Chmod(record, 0o622)) }},
		{"record is a symlink", func() {
			good := fileText(record)
			other := t.TempDir() + "/planted"
			mustDo(t, os.WriteFile(other, []byte(good), 0o600))
			mustDo(t, os.Remove(record))
			mustDo(t, os.Symlink(other, record))
		}},
	}
	for _, c := range cases {
		c.spoil()
		if n := warm(); n != 1 {
			t.Fatalf("%s: warm start hashed %d times, want 1", c.name, n)
		}
		// The full hash wrote a fresh record (replacing a planted link).
		if fi, err := os.Lstat(record); err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: record after the full hash: %v, %v", c.name, fi, err)
		}
		if n := warm(); n != 0 {
			t.Fatalf("%s: the next warm start hashed %d times, want 0", c.name, n)
		}
	}
}

// Rewriting the cached file with same-size bytes and putting its mtime back
// still moves its ctime: the record no longer matches and the planted bytes
// are hashed, refused and replaced, never run.
func TestRewriteWithRestoredMtimeIsHashed(t *testing.T) {
	a, blob, dir, path := extractedOnce(t)
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	// A coarse kernel clock could leave ctime unchanged within one tick.
	time.Sleep(20 * time.Millisecond)
	marker := plantProgram(t, path)
	mustDo(t, os.Chtimes(path, before.ModTime(), before.ModTime()))

	hooks, n := hashCounter()
	e2, err := Executable(testCtx(t), a, blob, Options{Dir: dir, Mode: ModeDisk, hooks: hooks})
	if err != nil {
		t.Fatal(err)
	}
	defer closeExe(t, e2)
	if *n == 0 || !e2.Extracted {
		t.Fatalf("rewritten cached file trusted from its record (hashes %d, extracted %v)", *n, e2.Extracted)
	}
	runPayload(t, e2.Path)
	if _, err := os.Stat(marker); !os.IsNotExist(err) {
		t.Fatal("the planted program was executed")
	}
}

func fileText(p string) string {
	b, _ := os.ReadFile(p)
	return string(b)
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
