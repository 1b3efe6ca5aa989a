package platforms

import (
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// A Rust triple is arch-vendor-os[-env]; the env part is what decides the libc.
var tripleRE = regexp.MustCompile(`^(x86_64|aarch64)-(unknown|apple|pc)-(linux|darwin|windows)(-(gnu|musl|msvc))?$`)

// rustArch/rustOS map Go's names onto the triple's fields, so a row can't pair
// linux/arm64 with an x86_64 triple.
var rustArch = map[string]string{"amd64": "x86_64", "arm64": "aarch64"}
var rustOS = map[string]string{"linux": "linux", "darwin": "darwin", "windows": "windows"}

func TestTableRowsComplete(t *testing.T) {
	if len(All()) == 0 {
		t.Fatal("platform table is empty")
	}
	for _, p := range All() {
		if p.GOOS == "" || p.GOARCH == "" || p.RustTarget == "" || p.ZigTarget == "" || p.Transport == "" {
			t.Errorf("%+v: incomplete row", p)
		}
		if p.Transport != TransportUnix && p.Transport != TransportTCP {
			t.Errorf("%s: transport %q is neither %q nor %q", p, p.Transport, TransportUnix, TransportTCP)
		}
		m := tripleRE.FindStringSubmatch(p.RustTarget)
		if m == nil {
			t.Errorf("%s: %q is not a valid Rust target triple", p, p.RustTarget)
			continue
		}
		if m[1] != rustArch[p.GOARCH] || m[3] != rustOS[p.GOOS] {
			t.Errorf("%s: triple %q does not match GOOS/GOARCH", p, p.RustTarget)
		}
		// glibc targets need a floor, carried into the zig target; others must not.
		gnuLinux := p.GOOS == "linux" && m[5] == "gnu"
		switch {
		case gnuLinux && p.GlibcFloor == "":
			t.Errorf("%s: glibc target without GlibcFloor", p)
		case gnuLinux && p.ZigTarget != p.RustTarget+"."+p.GlibcFloor:
			t.Errorf("%s: ZigTarget %q, want %q", p, p.ZigTarget, p.RustTarget+"."+p.GlibcFloor)
		case !gnuLinux && (p.GlibcFloor != "" || p.ZigTarget != p.RustTarget):
			t.Errorf("%s: non-glibc target with GlibcFloor %q / ZigTarget %q", p, p.GlibcFloor, p.ZigTarget)
		}
		if p.GlibcFloor != "" && !regexp.MustCompile(`^2\.[0-9]+$`).MatchString(p.GlibcFloor) {
			t.Errorf("%s: GlibcFloor %q is not 2.N", p, p.GlibcFloor)
		}
	}
}

func TestTableNoDuplicates(t *testing.T) {
	seenGo, seenRust := map[string]bool{}, map[string]bool{}
	for _, p := range All() {
		if seenGo[p.String()] {
			t.Errorf("duplicate GOOS/GOARCH %s", p)
		}
		if seenRust[p.RustTarget] {
			t.Errorf("duplicate Rust target %s", p.RustTarget)
		}
		seenGo[p.String()], seenRust[p.RustTarget] = true, true
	}
}

// The toolchains themselves are the authority on valid names.
func TestTableKnownToToolchains(t *testing.T) {
	out, err := exec.Command("go", "tool", "dist", "list").Output()
	if err != nil {
		t.Fatalf("go tool dist list: %v", err)
	}
	goPorts := strings.Fields(string(out))
	rustc, err := exec.LookPath("rustc")
	if err != nil {
		t.Skip("rustc not on PATH: Rust triples checked by pattern only")
	}
	out, err = exec.Command(rustc, "--print", "target-list").Output()
	if err != nil {
		t.Fatalf("rustc --print target-list: %v", err)
	}
	rustTargets := strings.Fields(string(out))
	for _, p := range All() {
		if !contains(goPorts, p.String()) {
			t.Errorf("%s: not a Go port (go tool dist list)", p)
		}
		if !contains(rustTargets, p.RustTarget) {
			t.Errorf("%s: %s not in rustc --print target-list", p, p.RustTarget)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestHostAndLookup(t *testing.T) {
	h, ok := Host()
	if runtime.GOOS == "linux" && runtime.GOARCH == "amd64" && (!ok || h.RustTarget != "x86_64-unknown-linux-gnu") {
		t.Fatalf("Host() = %+v, %v on linux/amd64", h, ok)
	}
	if _, ok := Lookup("plan9", "386"); ok {
		t.Error("Lookup(plan9/386) found a row")
	}
	if p, _ := Lookup("windows", "amd64"); p.ExeSuffix() != ".exe" || p.Key() != "windows_amd64" {
		t.Errorf("windows row: suffix %q key %q", p.ExeSuffix(), p.Key())
	}
	all := All()
	all[0].GOOS = "mutated"
	if All()[0].GOOS == "mutated" {
		t.Error("All() exposes the table itself")
	}
}

func TestSelect(t *testing.T) {
	all, err := Select("all")
	if err != nil || len(all) != len(All()) {
		t.Fatalf("Select(all) = %d rows, %v", len(all), err)
	}
	got, err := Select("darwin/arm64, linux_amd64 darwin/arm64")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].String() != "linux/amd64" || got[1].String() != "darwin/arm64" {
		t.Errorf("Select list = %v, want [linux/amd64 darwin/arm64] in table order, no duplicates", got)
	}
	for _, bad := range []string{"", "linux", "plan9/386"} {
		if _, err := Select(bad); err == nil {
			t.Errorf("Select(%q) accepted", bad)
		}
	}
}
