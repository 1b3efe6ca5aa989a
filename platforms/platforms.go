// Package platforms is the one table of platforms otelcol-hybrid ships for:
// GOOS/GOARCH ↔ Rust target triple, the cargo-zigbuild target (which carries
// the glibc floor), and the transport the bridges use there. The build
// scripts, the embed generator, the generated .goreleaser.yaml and the tests
// all read this table, so adding a platform is one row here.
package platforms

import "runtime"

// Transports between the Go and Rust halves.
const (
	// TransportUnix: bridges are unix sockets in the private runtime dir.
	TransportUnix = "unix"
	// TransportTCP: bridges are 127.0.0.1:PORT, used where the Rust side
	// (tokio) has no unix-socket listener (Windows).
	TransportTCP = "tcp"
)

// Platform is one row of the table.
type Platform struct {
	GOOS, GOARCH string
	// RustTarget is the rustc target triple (what `rustup target add` takes
	// and the directory name under target/).
	RustTarget string
	// ZigTarget is what `cargo zigbuild --target` takes: the Rust triple,
	// plus ".<glibc>" on glibc targets so the binary runs on old distros.
	ZigTarget string
	// Transport is TransportUnix or TransportTCP.
	Transport string
	// GlibcFloor is the oldest glibc the Rust binary may need ("" if not glibc).
	GlibcFloor string
}

// table is ordered as releases list platforms; keep linux/amd64 first.
var table = []Platform{
	{GOOS: "linux", GOARCH: "amd64", RustTarget: "x86_64-unknown-linux-gnu", ZigTarget: "x86_64-unknown-linux-gnu.2.17", Transport: TransportUnix, GlibcFloor: "2.17"},
	{GOOS: "linux", GOARCH: "arm64", RustTarget: "aarch64-unknown-linux-gnu", ZigTarget: "aarch64-unknown-linux-gnu.2.17", Transport: TransportUnix, GlibcFloor: "2.17"},
	{GOOS: "darwin", GOARCH: "amd64", RustTarget: "x86_64-apple-darwin", ZigTarget: "x86_64-apple-darwin", Transport: TransportUnix},
	{GOOS: "darwin", GOARCH: "arm64", RustTarget: "aarch64-apple-darwin", ZigTarget: "aarch64-apple-darwin", Transport: TransportUnix},
	{GOOS: "windows", GOARCH: "amd64", RustTarget: "x86_64-pc-windows-gnu", ZigTarget: "x86_64-pc-windows-gnu", Transport: TransportTCP},
}

// All returns a copy of the table, so callers cannot edit it.
func All() []Platform { return append([]Platform(nil), table...) }

// Lookup finds the row for goos/goarch.
func Lookup(goos, goarch string) (Platform, bool) {
	for _, p := range table {
		if p.GOOS == goos && p.GOARCH == goarch {
			return p, true
		}
	}
	return Platform{}, false
}

// Host is the row of the platform this program was built for.
func Host() (Platform, bool) { return Lookup(runtime.GOOS, runtime.GOARCH) }

// String is "goos/goarch", the form users and make's PLATFORMS use.
func (p Platform) String() string { return p.GOOS + "/" + p.GOARCH }

// Key is "goos_goarch", the form used in file and directory names.
func (p Platform) Key() string { return p.GOOS + "_" + p.GOARCH }

// ExeSuffix is ".exe" on Windows, "" elsewhere.
func (p Platform) ExeSuffix() string {
	if p.GOOS == "windows" {
		return ".exe"
	}
	return ""
}
