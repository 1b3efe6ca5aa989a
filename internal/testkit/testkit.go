// Package testkit holds the small helpers the end-to-end, builder and
// supervisor tests share: waiting for a condition (or checking one keeps
// holding), a free loopback address, and a goroutine-safe buffer for a child
// process's output.
package testkit

import (
	"bytes"
	"net"
	"sync"
	"testing"
	"time"
)

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

// FreeAddr returns a 127.0.0.1:port nothing listens on right now. The port
// is released before the caller binds it, so another process may take it in
// between: prefer binding port 0 and reading the port back, or keeping the
// listener open. It remains for tests that must restart a server on the same
// address.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
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
