package e2e

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"golang.org/x/sys/unix"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/otelcol-hybrid/otelcol-hybrid/internal/testkit"
	"github.com/otelcol-hybrid/otelcol-hybrid/internal/testkit/procfs"
)

// tcpUserIP is where the user's receiver listens (port 0, read back): the
// bridges and the child's health listener are on 127.0.0.1, so the
// harness's grpcIP would not tell the receiver apart.
const tcpUserIP = "127.0.0.6"

// TestTCPBridgesRefuseForeignClients runs `rust_subprocess: {transport:
// tcp}` with a bridge each way (Go receiver → Rust filter → Go exporter):
// data flows end to end, and a foreign OTLP client on every loopback port the
// two processes listen on for each other (both bridges and the child's
// health listener, found from their sockets in /proc) is answered
// Unauthenticated, and nothing it sends reaches the backend.
func TestTCPBridgesRefuseForeignClients(t *testing.T) {
	skipInEmbedded(t, "in-process crossings have no listener to protect")
	if runtime.GOOS != "linux" {
		t.Skip("listening sockets are read from /proc")
	}
	t.Parallel()
	s := startScenario(t, "tcp_bridges.yaml", scenarioOpts{vars: map[string]string{"RECEIVER": bindIP(tcpUserIP)}})
	s.grpc = s.h.listenAddr(tcpUserIP)
	h, be, userAddr := s.h, s.be, s.grpc

	s.sendMetrics("kept", 30)
	s.sendMetrics("dropme", 30)
	s.waitPoints("kept", 30)
	if got := be.Points("dropme"); got != 0 {
		t.Fatalf("dropme: %d points passed the Rust filter", got)
	}

	// Where the bridges and the health listener are, as both processes log
	// them, checked against the sockets each process really listens on.
	parent, child := h.cmd.Process.Pid, h.rustChild(30*time.Second)
	goBridges, rustEnds := tcpAuthLoggedEndpoints(h.out.String())
	goListening, rustListening := listening(t, parent), listening(t, child)
	t.Logf("logged: Go bridge receivers %v, Rust bridge receivers and health %v; listening: parent %v, child %v",
		goBridges, rustEnds, goListening, rustListening)
	if len(goBridges) != 1 || len(rustEnds) != 2 {
		t.Fatalf("want 1 Go bridge receiver and 2 Rust listeners (bridge, health) in the log, got %v and %v", goBridges, rustEnds)
	}
	if !slices.Equal(rustListening, rustEnds) {
		t.Fatalf("the child listens on %v, the log says %v", rustListening, rustEnds)
	}
	for _, a := range goBridges {
		if !slices.Contains(goListening, a) {
			t.Fatalf("Go bridge receiver %s is not among the parent's listeners %v", a, goListening)
		}
	}
	for _, a := range append(slices.Clone(goBridges), rustEnds...) {
		if host, _, _ := net.SplitHostPort(a); host != "127.0.0.1" {
			t.Errorf("%s listens beyond 127.0.0.1", a)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	foreign := func(a string) (exportErr, healthErr error) {
		conn, err := grpc.NewClient(a, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = conn.Close() }()
		_, exportErr = pmetricotlp.NewGRPCClient(conn).Export(ctx, pmetricotlp.NewExportRequestFromMetrics(tcpAuthMetric("foreign", 5)))
		_, healthErr = healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
		return exportErr, healthErr
	}
	for _, a := range append(slices.Clone(goBridges), rustEnds...) {
		exportErr, healthErr := foreign(a)
		if status.Code(exportErr) != codes.Unauthenticated {
			t.Errorf("foreign OTLP export to %s: %v, want Unauthenticated", a, exportErr)
		}
		switch {
		case healthErr == nil:
			t.Errorf("foreign health check on %s answered", a)
		case slices.Contains(rustEnds, a) && status.Code(healthErr) != codes.Unauthenticated:
			t.Errorf("foreign health check on the child's %s: %v, want Unauthenticated", a, healthErr)
		}
	}
	// Whatever else the parent listens on (the user's receiver aside) must
	// not take data either. The child's listeners, refused above, are among
	// them: the parent holds them for every child it starts.
	_, userPort, _ := net.SplitHostPort(userAddr)
	for _, a := range goListening {
		if _, p, _ := net.SplitHostPort(a); p == userPort || slices.Contains(goBridges, a) || slices.Contains(rustEnds, a) {
			continue
		}
		if exportErr, _ := foreign(a); exportErr == nil {
			t.Errorf("the parent's other listener %s took a foreign OTLP export", a)
		} else {
			t.Logf("the parent's other listener %s (not a bridge): %v", a, status.Code(exportErr))
		}
	}

	// The authenticated path still works after the refusals, and what the
	// foreign client sent is nowhere.
	s.sendMetrics("after", 10)
	s.waitPoints("after", 10)
	if got := be.Points("foreign"); got != 0 {
		t.Fatalf("the foreign client injected %d points", got)
	}
	if now := procfs.Children(parent); len(now) != 1 || now[0] != child {
		t.Fatalf("the child changed from pid %d to %v: a refused health probe restarted it?", child, now)
	}

	// The secret reached the child on its stdin only.
	for _, f := range []string{"cmdline", "environ"} {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/%s", child, f))
		if err != nil {
			t.Fatal(err)
		}
		for _, tok := range strings.FieldsFunc(string(b), func(r rune) bool { return r == 0 || r == '=' || r == ' ' }) {
			if _, err := hex.DecodeString(tok); err == nil && len(tok) >= 64 {
				t.Errorf("/proc/%d/%s holds a 256-bit hex value: the secret?", child, f)
			}
		}
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", child))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(cmdline), "--secret-on-stdin") {
		t.Errorf("the child was not asked to read its secret from stdin")
	}
	s.stop()
}

// tcpAuthLoggedEndpoints reads the bridge listeners from the collector's
// log: the Go otlp/bridge_N receivers' "Starting GRPC server" lines, and the
// child's "otlp receiver listening" (otlp/bridge_N) and "health check
// listening" lines.
func tcpAuthLoggedEndpoints(log string) (goBridges, rustEnds []string) {
	endpoint := regexp.MustCompile(`"endpoint": "([^"]+)"`)
	for _, line := range strings.Split(log, "\n") {
		m := endpoint.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		switch {
		case strings.Contains(line, "Starting GRPC server") && strings.Contains(line, `"otlp/bridge_`):
			goBridges = append(goBridges, m[1])
		case strings.Contains(line, "otlp receiver listening") && strings.Contains(line, `"otlp/bridge_`),
			strings.Contains(line, "health check listening"):
			rustEnds = append(rustEnds, m[1])
		}
	}
	slices.Sort(goBridges)
	slices.Sort(rustEnds)
	return goBridges, rustEnds
}

// listening is every TCP address pid listens on (testkit.Listening).
func listening(t *testing.T, pid int) []string {
	t.Helper()
	addrs, err := testkit.Listening(pid)
	if err != nil {
		t.Fatal(err)
	}
	return addrs
}

func tcpAuthMetric(name string, points int) pmetric.Metrics {
	md := pmetric.NewMetrics()
	m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName(name)
	g := m.SetEmptyGauge()
	for i := range points {
		g.DataPoints().AppendEmpty().SetIntValue(int64(i))
	}
	return md
}

// TestTCPBridgePortsHeldAcrossChildRestart: with `transport: tcp` the
// parent binds the child's listeners (the Rust bridge receiver's and the
// health listener's ports) once and hands the listening sockets to every
// child it starts. While a SIGKILLed child is dead (a 3 s restart backoff),
// no local process can bind any bridge or health port — not even with
// SO_REUSEADDR or SO_REUSEPORT — so none can receive the secret, the data
// or the health probes meant for the child; the restarted child serves on
// the same sockets and data flows both ways again.
func TestTCPBridgePortsHeldAcrossChildRestart(t *testing.T) {
	skipInEmbedded(t, "in-process crossings have no listener to protect")
	if runtime.GOOS != "linux" {
		t.Skip("listening sockets are read from /proc")
	}
	t.Parallel()
	s := startScenario(t, "tcp_bridges_restart.yaml", scenarioOpts{vars: map[string]string{"RECEIVER": bindIP(tcpUserIP)}})
	s.grpc = s.h.listenAddr(tcpUserIP)
	h := s.h
	s.sendMetrics("before", 20)
	s.waitPoints("before", 20)

	parent, first := h.cmd.Process.Pid, h.rustChild(30*time.Second)
	goBridges, rustEnds := tcpAuthLoggedEndpoints(h.out.String())
	if len(goBridges) != 1 || len(rustEnds) != 2 {
		t.Fatalf("want 1 Go bridge receiver and 2 Rust listeners (bridge, health) in the log, got %v and %v", goBridges, rustEnds)
	}
	// Handed over, not bound by the child: the parent listens on the
	// child's ports too, through the very sockets the child inherited.
	parentListening := listening(t, parent)
	for _, a := range rustEnds {
		if !slices.Contains(parentListening, a) {
			t.Errorf("the parent does not hold the child's listener %s (it listens on %v)", a, parentListening)
		}
	}
	inherited := tcpInheritedSockets(t, first)
	parentSockets := tcpSocketInodes(t, parent)
	for _, ino := range inherited {
		if !parentSockets[ino] {
			t.Errorf("the child's inherited socket %s is not one the parent holds", ino)
		}
	}
	if len(inherited) != 2 {
		t.Errorf("the child has %d sockets at fds 3 and 4, want 2", len(inherited))
	}
	cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", first))
	if !strings.Contains(string(cmdline), "--listen-fds\x002") {
		t.Errorf("the child was not told of 2 inherited listeners: %q", cmdline)
	}

	if err := syscall.Kill(first, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 10*time.Second, "the killed child reaped", func() bool { return len(procfs.Children(parent)) == 0 })
	squat := func(a string, reusePort bool) error {
		lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
			var serr error
			err := c.Control(func(fd uintptr) {
				if reusePort {
					serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
				}
			})
			return errors.Join(err, serr)
		}}
		l, err := lc.Listen(context.Background(), "tcp", a) // Go sets SO_REUSEADDR itself
		if err == nil {
			_ = l.Close()
		}
		return err
	}
	for _, a := range append(slices.Clone(goBridges), rustEnds...) {
		for _, reusePort := range []bool{false, true} {
			if err := squat(a, reusePort); !errors.Is(err, syscall.EADDRINUSE) {
				t.Errorf("binding %s (SO_REUSEPORT %v) while the child is dead: %v, want EADDRINUSE", a, reusePort, err)
			}
		}
	}
	if now := procfs.Children(parent); len(now) != 0 {
		t.Fatalf("a child %v was already back: the ports were not tried while it was dead", now)
	}

	// The next child serves on the same sockets, and data crosses both
	// bridges again.
	second := h.rustChild(30 * time.Second)
	testkit.Eventually(t, 30*time.Second, "the restarted child's listeners", func() bool {
		_, ends := tcpAuthLoggedEndpoints(h.out.String())
		return len(ends) == 4
	})
	_, ends := tcpAuthLoggedEndpoints(h.out.String())
	if want := []string{rustEnds[0], rustEnds[0], rustEnds[1], rustEnds[1]}; !slices.Equal(ends, want) {
		t.Fatalf("the restarted child listens on %v, want the first child's %v", slices.Compact(ends), rustEnds)
	}
	if got := listening(t, second); !slices.Equal(got, rustEnds) {
		t.Fatalf("the restarted child listens on %v, want %v", got, rustEnds)
	}
	if again := tcpInheritedSockets(t, second); !slices.Equal(again, inherited) {
		t.Errorf("the restarted child's sockets %v are not the first child's %v", again, inherited)
	}
	s.sendMetrics("after", 20)
	s.waitPoints("after", 20)
	s.stop()
}

// tcpInheritedSockets are the socket inodes at fds 3 and 4 of pid.
func tcpInheritedSockets(t *testing.T, pid int) []string {
	t.Helper()
	var out []string
	for _, fd := range []int{3, 4} {
		link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%d", pid, fd))
		if ino, ok := strings.CutPrefix(link, "socket:["); err == nil && ok {
			out = append(out, strings.TrimSuffix(ino, "]"))
		}
	}
	return out
}

// tcpSocketInodes are the inodes of every socket pid holds.
func tcpSocketInodes(t *testing.T, pid int) map[string]bool {
	t.Helper()
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	fds, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, fd := range fds {
		link, err := os.Readlink(dir + "/" + fd.Name())
		if ino, ok := strings.CutPrefix(link, "socket:["); err == nil && ok {
			out[strings.TrimSuffix(ino, "]")] = true
		}
	}
	return out
}
