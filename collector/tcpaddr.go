package collector

import (
	"net"
)

// freeLoopbackAddr reserves a loopback port for a TCP bridge (platforms whose
// transport is tcp). The port is released before the child binds it; the
// window is small and a clash makes the child fail its start visibly.
func freeLoopbackAddr(int) (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		return "", err
	}
	return addr, nil
}
