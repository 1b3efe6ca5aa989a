// Package testkit holds the small helpers the end-to-end, builder and
// supervisor tests share: the binary under test, waiting for a condition (or
// checking one keeps holding), the TCP addresses a process listens on, and a
// goroutine-safe buffer for a child process's output.
package testkit

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Binary is the absolute path of the executable that environment variable
// name points at. Without it the test is skipped, unless E2E_REQUIRED is set
// (`make test` sets both): then a missing binary means the Makefile lost
// track of one, and the test fails.
func Binary(t testing.TB, name string) string {
	t.Helper()
	p := os.Getenv(name)
	if p == "" {
		if os.Getenv("E2E_REQUIRED") != "" {
			t.Fatalf("%s is not set but E2E_REQUIRED is: the Makefile lost track of a binary", name)
		}
		t.Skipf("%s is not set: run through `make test`, which builds the binaries", name)
	}
	p, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s=%s: %v", name, p, err)
	}
	return p
}

// poll is how often Eventually re-checks its condition.
const poll = 20 * time.Millisecond

// Eventually polls cond until it holds, failing t once timeout has passed.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(poll)
	}
}

// Await polls check until it returns nil, failing t with the last error
// check returned once timeout has passed: for conditions whose failure is
// worth describing (what was there instead of what was wanted).
func Await(t testing.TB, timeout time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s: %v", timeout, err)
		}
		time.Sleep(poll)
	}
}

// Consistently checks cond for the whole of d, failing t as soon as it does
// not hold: for "nothing happens" claims, which have no event to wait for.
func Consistently(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if !cond() {
			t.Fatalf("%s stopped holding", what)
		}
		time.Sleep(poll)
	}
}

// Listening returns the "ip:port" of every TCP socket process pid holds in
// LISTEN state, IPv4 and IPv6, sorted: the socket inodes among its
// /proc/<pid>/fd matched against its /proc/<pid>/net/tcp{,6}. A test that
// binds port 0 reads the real port back this way instead of guessing a free
// one (which another process may take first). Linux only.
func Listening(pid int) ([]string, error) {
	fdDir := fmt.Sprintf("/proc/%d/fd", pid)
	fds, err := os.ReadDir(fdDir)
	if err != nil {
		return nil, err
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		link, err := os.Readlink(filepath.Join(fdDir, fd.Name()))
		if ino, ok := strings.CutPrefix(link, "socket:["); err == nil && ok {
			inodes[strings.TrimSuffix(ino, "]")] = true
		}
	}
	var out []string
	for _, table := range []string{"tcp", "tcp6"} {
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/%s", pid, table))
		if err != nil {
			continue
		}
		for _, row := range strings.Split(string(raw), "\n")[1:] { // [0] is the header
			// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
			f := strings.Fields(row)
			if len(f) < 10 || f[3] != "0A" || !inodes[f[9]] { // 0A = LISTEN
				continue
			}
			if addr, ok := procAddr(f[1]); ok {
				out = append(out, addr)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// procAddr decodes /proc/net/tcp's "0100007F:1F90" (the address as 32-bit
// words in host byte order, little-endian here) into "127.0.0.1:8080".
func procAddr(s string) (string, bool) {
	ipHex, portHex, _ := strings.Cut(s, ":")
	port, err := strconv.ParseUint(portHex, 16, 16)
	if err != nil {
		return "", false
	}
	raw, err := hex.DecodeString(ipHex)
	if err != nil || (len(raw) != net.IPv4len && len(raw) != net.IPv6len) {
		return "", false
	}
	ip := make(net.IP, len(raw))
	for i := 0; i < len(raw); i += 4 {
		ip[i], ip[i+1], ip[i+2], ip[i+3] = raw[i+3], raw[i+2], raw[i+1], raw[i]
	}
	return net.JoinHostPort(ip.String(), strconv.FormatUint(port, 10)), true
}

// SyncBuffer collects a process's output while tests read it.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
