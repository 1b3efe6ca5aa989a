package partition

import (
	"fmt"
	"net"
	"path"
	"strings"
	"time"
)

// Options says where the bridges listen and how patient they are.
type Options struct {
	// SocketDir is the private runtime directory holding b<N>.sock and h.sock.
	// Required for the unix transport; must be absolute.
	SocketDir string
	// Transport is "unix" (default) or "tcp" (loopback, the default on
	// platforms without unix sockets; see platforms.Platform.Transport).
	// Either way every bridge and the health listener require the bridge
	// secret (see GoBridgeAuthenticator).
	Transport string
	// TCPAddr returns a loopback "host:port" for bridge n (n ≥ 1) or for the
	// Rust health listener (n = 0). Required when Transport is "tcp".
	TCPAddr func(n int) (string, error)
	// GOOS selects the sun_path limit: 108 bytes on linux, 104 elsewhere
	// (macOS/BSD). Empty means the stricter 104.
	GOOS string
	// BridgeTimeout bounds one export attempt over a bridge; 0 means
	// DefaultBridgeTimeout.
	BridgeTimeout time.Duration
	// GoBridgeMiddleware, when set, is the id of a Go extension (gRPC client
	// middleware) every Go bridge exporter lists in `middlewares`: the
	// distribution's bridge_context, which forwards client metadata and trace
	// context. The caller defines the extension in the Go half.
	GoBridgeMiddleware string
	// GoBridgeProcessor, when set, is the id of a Go processor (empty config)
	// appended to every Go pipeline that ends in a bridge exporter: the
	// distribution's bridge_cancel, which cancels the requests waiting on the
	// Rust half when shutdown begins. The caller registers its factory.
	GoBridgeProcessor string
	// KeepReceiversInGo turns receiver placement off: every Go receiver
	// stays in the Go half and reaches Rust components over a bridge. By
	// default a Go receiver that feeds only Rust components, with settings
	// the Rust receiver implements identically, runs in the Rust half
	// (placement.go).
	KeepReceiversInGo bool
	// InProcess makes every crossing an in-process call (embedded mode: the
	// Rust half is linked into this process) instead of OTLP/gRPC over a
	// listener: the bridge ends are ffi_bridge components on both sides,
	// there are no sockets, and the Rust half has no health listener (its
	// readiness is the start call returning). SocketDir, Transport and
	// TCPAddr are then unused.
	InProcess bool
	// RustMemoryLimitMiB, when positive, is the Rust half's memory bound
	// (its service.memory_limit_mib: the request data it holds before it
	// refuses new data with a retryable error); 0 keeps the Rust default.
	RustMemoryLimitMiB int
	// RustWorkerThreads, when positive, sizes the Rust half's async runtime
	// (its service.worker_threads). 0 lets the partitioner choose from CPUs
	// (rustWorkerThreads).
	RustWorkerThreads int
	// CPUs is what this process may run on (GOMAXPROCS); 0: unknown, and the
	// Rust half then takes one runtime thread per CPU.
	CPUs int
}

// DefaultBridgeTimeout is deliberately longer than the collector exporters'
// own 5s default: a bridge hop answers only after the real exporter behind it
// (and that exporter's own attempt) has finished, so the hop must not give up
// first and turn a slow success into a retry that duplicates data. The
// caller's own gRPC deadline still propagates and cuts it shorter.
const DefaultBridgeTimeout = 30 * time.Second

const (
	transportUnix = "unix"
	transportTCP  = "tcp"
	healthSocket  = "h.sock"
)

// sunPathLimit is sizeof(sockaddr_un.sun_path), which includes the NUL.
func sunPathLimit(goos string) int {
	if goos == "linux" {
		return 108
	}
	return 104
}

func (o Options) normalized() (Options, error) {
	if o.BridgeTimeout == 0 {
		o.BridgeTimeout = DefaultBridgeTimeout
	}
	if o.BridgeTimeout < 0 {
		return o, fmt.Errorf("partition options: BridgeTimeout %s is negative", o.BridgeTimeout)
	}
	if o.InProcess {
		return o, nil
	}
	if o.Transport == "" {
		o.Transport = transportUnix
	}
	switch o.Transport {
	case transportUnix:
		if !path.IsAbs(o.SocketDir) {
			return o, fmt.Errorf("partition options: SocketDir %s must be an absolute path for unix sockets", q(o.SocketDir))
		}
		// The dir goes verbatim into "unix://" gRPC targets: refuse what a
		// URI would need escaped rather than escape it differently per side.
		if strings.ContainsAny(o.SocketDir, "%?#") || strings.ContainsFunc(o.SocketDir, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			return o, fmt.Errorf("partition options: SocketDir %s contains characters unusable in a unix:// target (space, control, %%, ?, #)", q(o.SocketDir))
		}
		o.SocketDir = path.Clean(o.SocketDir)
	case transportTCP:
		if o.TCPAddr == nil {
			return o, fmt.Errorf("partition options: Transport tcp needs TCPAddr")
		}
	default:
		return o, fmt.Errorf("partition options: Transport %s is neither unix nor tcp", q(o.Transport))
	}
	return o, nil
}

// address is where one listener (a bridge or the health service) lives.
type address struct {
	target string // gRPC dial target, also what the Rust side listens on
	path   string // unix socket path; "" for tcp
}

// addressFor allocates the listener of bridge n (n ≥ 1) or the health service (n = 0).
func (o Options) addressFor(n int) (address, error) {
	if o.Transport == transportTCP {
		addr, err := o.TCPAddr(n)
		if err != nil {
			return address{}, fmt.Errorf("partition options: TCPAddr(%d): %w", n, err)
		}
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return address{}, fmt.Errorf("partition options: TCPAddr(%d) returned %s: %w", n, q(addr), err)
		}
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return address{}, fmt.Errorf("partition options: TCPAddr(%d) returned %s, not a loopback address; bridges are local only", n, q(addr))
		}
		return address{target: addr}, nil
	}
	file := healthSocket
	if n > 0 {
		file = fmt.Sprintf("b%d.sock", n)
	}
	p := path.Join(o.SocketDir, file)
	if limit := sunPathLimit(o.GOOS); len(p)+1 > limit {
		os := o.GOOS
		if os == "" {
			os = "the strictest platform"
		}
		return address{}, fmt.Errorf("partition options: socket path %s is %d bytes; sun_path holds at most %d bytes plus NUL on %s; use a shorter SocketDir",
			q(p), len(p), limit-1, os)
	}
	return address{target: "unix://" + p, path: p}, nil
}
