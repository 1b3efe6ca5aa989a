package testkit

import (
	"net"
	"os"
	"runtime"
	"slices"
	"testing"
)

// Listening finds this process's own listeners, IPv4 and IPv6, by the port
// the kernel gave them, and not a socket that is connected but not listening.
func TestListeningReadsBackPortZero(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	t.Parallel()
	var want []string
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0"} {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			if addr == "[::1]:0" {
				continue // no IPv6 loopback here
			}
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = l.Close() })
		want = append(want, l.Addr().String())
	}
	conn, err := net.Dial("tcp", want[0])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })

	got, err := Listening(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("Listening = %v, missing %s", got, w)
		}
	}
	if slices.Contains(got, conn.LocalAddr().String()) {
		t.Errorf("Listening = %v includes the connected socket %s", got, conn.LocalAddr())
	}
	if _, err := Listening(-1); err == nil {
		t.Error("Listening(-1): no error for a process that does not exist")
	}
}
