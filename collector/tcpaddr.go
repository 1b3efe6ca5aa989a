package collector

import "github.com/otelcol-hybrid/otelcol-hybrid/collector/loopback"

// freeLoopbackAddr reserves a loopback port for a TCP bridge or the child's
// health listener (transport tcp). Where listening sockets can be handed to
// the child, the port stays bound in this process (loopback.Reserve): the
// subprocess extension hands the child the sockets it listens on and
// releases those a Go bridge receiver binds itself.
func freeLoopbackAddr(int) (string, error) { return loopback.Reserve() }
