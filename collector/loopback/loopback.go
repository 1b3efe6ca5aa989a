// Package loopback allocates the loopback TCP ports of the tcp bridge
// transport and, where the child can inherit listening sockets, keeps the
// ports of the child's listeners bound in this process for as long as they
// are in use.
//
// A port that is reserved and then released before the child binds it can
// be bound by any local process in between, or while the child is dead
// between two restarts; that process would then receive the bridge secret
// (sent as a header) and the data of the Go bridge exporters and health
// probes. So, as systemd socket activation does, this process binds each
// listener once and hands the listening socket to every child it starts
// (os/exec ExtraFiles; the child serves on fd://N): the port is never free.
package loopback

import (
	"fmt"
	"net"
	"os"
	"sync"
)

var (
	mu   sync.Mutex
	held = map[string]*os.File{}
)

// Reserve returns a free "127.0.0.1:port". Where Handoff, the port stays
// bound and listening in this process until Release (File hands it to a
// child); elsewhere it is released at once and whoever binds it next gets
// it, as the child is meant to.
func Reserve() (string, error) {
	l, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	if !Handoff {
		return addr, l.Close()
	}
	// A duplicate of the socket, without the listener's poller state: this
	// process never accepts on it, the children do. Closing the listener
	// leaves the socket bound and listening through the duplicate.
	f, err := l.File()
	closeErr := l.Close()
	if err != nil {
		return "", fmt.Errorf("holding %s for the child: %w", addr, err)
	}
	if closeErr != nil {
		_ = f.Close()
		return "", closeErr
	}
	mu.Lock()
	held[addr] = f
	mu.Unlock()
	return addr, nil
}

// File is the listening socket of addr this process holds, for a child to
// inherit (exec.Cmd.ExtraFiles); false when it holds none (Handoff is
// false, addr was released, or was never reserved here). The file stays
// this package's: do not close it.
func File(addr string) (*os.File, bool) {
	mu.Lock()
	defer mu.Unlock()
	f, ok := held[addr]
	return f, ok
}

// Release closes this process's socket of addr, freeing the port: for a
// port another component of this process binds itself (a Go bridge
// receiver), or once no child will serve on it again. Nothing when addr is
// not held.
func Release(addr string) {
	mu.Lock()
	f, ok := held[addr]
	delete(held, addr)
	mu.Unlock()
	if ok {
		_ = f.Close()
	}
}
