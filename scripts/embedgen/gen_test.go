package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-hybrid/otelcol-hybrid/embedbin"
	"github.com/otelcol-hybrid/otelcol-hybrid/platforms"
)

// tempModule copies platforms/ and embedbin/ (hand-written files only) into a
// scratch module with the real module path, so generated files can be built
// for any GOOS/GOARCH without touching the work tree.
func tempModule(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	mustWrite(t, filepath.Join(root, "go.mod"), []byte("module github.com/otelcol-hybrid/otelcol-hybrid\n\ngo 1.26\n"))
	for _, pkg := range []string{"platforms", "embedbin"} {
		files, _ := filepath.Glob(filepath.Join("..", "..", pkg, "*.go"))
		for _, f := range files {
			base := filepath.Base(f)
			if strings.HasSuffix(base, "_test.go") || strings.HasPrefix(base, "zz_") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			mustWrite(t, filepath.Join(root, pkg, base), b)
		}
	}
	return root
}

func mustWrite(t *testing.T, name string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// fakeBuild writes a stand-in "Rust binary" for p, as scripts/rustcross would.
func fakeBuild(t *testing.T, in string, p platforms.Platform) []byte {
	raw := bytes.Repeat([]byte("fake otelcol-rust for "+p.String()+"\n"), 1000)
	mustWrite(t, filepath.Join(in, p.Key(), "otelcol-rust"+p.ExeSuffix()), raw)
	return raw
}

func goCmd(t *testing.T, dir string, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append([]string{"GOFLAGS=-mod=mod", "CGO_ENABLED=0"}, env...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func genOpts(root, in string, ps ...platforms.Platform) options {
	return options{in: in, out: filepath.Join(root, "embedbin"), version: "0.1.0",
		window: defaultWindow, epoch: time.Unix(1700000000, 0).UTC(), selected: ps}
}

func TestGeneratedFileForOtherPlatformVets(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go vet")
	}
	root, in := tempModule(t), t.TempDir()
	darwin, _ := platforms.Lookup("darwin", "arm64")
	fakeBuild(t, in, darwin)
	if err := generate(genOpts(root, in, darwin)); err != nil {
		t.Fatal(err)
	}
	src, _ := os.ReadFile(filepath.Join(root, "embedbin", "zz_embed_darwin_arm64.go"))
	if !regexp.MustCompile(`(?m)^// Code generated .* DO NOT EDIT\.$`).Match(src) || !bytes.Contains(src, []byte("//go:build darwin && arm64\n")) {
		t.Fatalf("generated file lacks its header or build constraint:\n%s", src)
	}
	for _, tags := range []string{"", "require_blob"} {
		if out, err := goCmd(t, root, []string{"GOOS=darwin", "GOARCH=arm64"}, "vet", "-tags="+tags, "./..."); err != nil {
			t.Errorf("GOOS=darwin GOARCH=arm64 go vet -tags=%q: %v\n%s", tags, err, out)
		}
	}
	// Without its own blob, a release build of another platform must not compile.
	out, err := goCmd(t, root, []string{"GOOS=linux", "GOARCH=arm64"}, "vet", "-tags=require_blob", "./embedbin")
	if err == nil || !strings.Contains(out, "blobGeneratedByMakeBlobs") {
		t.Errorf("release build of linux/arm64 without its blob: err %v\n%s", err, out)
	}
}

// End to end on the host: generated file + embedbin.Collector in a real binary.
func TestGeneratedHostBlobRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go run")
	}
	host, ok := platforms.Host()
	if !ok {
		t.Skip("host not in platform table")
	}
	root, in := tempModule(t), t.TempDir()
	raw := fakeBuild(t, in, host)
	other, _ := platforms.Lookup("windows", "amd64")
	if host == other {
		other, _ = platforms.Lookup("linux", "amd64")
	}
	fakeBuild(t, in, other)
	// An earlier run for another platform must be cleaned away by this one.
	if err := generate(genOpts(root, in, other)); err != nil {
		t.Fatal(err)
	}
	if err := generate(genOpts(root, in, host)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "embedbin", embedFileName(other))); !os.IsNotExist(err) {
		t.Errorf("stale %s left behind: %v", embedFileName(other), err)
	}
	mustWrite(t, filepath.Join(root, "cmd", "probe", "main.go"), []byte(`package main

import (
	"fmt"
	"os"

	"github.com/otelcol-hybrid/otelcol-hybrid/embedbin"
)

func main() {
	m, blob, err := embedbin.Collector()
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println(m.Platform, m.RawSize, len(blob) == int(m.CompressedSize), m.BuildTime.Unix())
}
`))
	out, err := goCmd(t, root, nil, "run", "-tags=require_blob", "./cmd/probe")
	want := host.String() + " " + strconv.Itoa(len(raw)) + " true 1700000000\n"
	if err != nil || out != want {
		t.Fatalf("probe: %v\n got %q\nwant %q", err, out, want)
	}
	mb, _ := os.ReadFile(filepath.Join(root, "embedbin", "blobs", host.Key(), "manifest.json"))
	if _, err := embedbin.ParseManifest(mb); err != nil {
		t.Errorf("written manifest: %v", err)
	}
}
