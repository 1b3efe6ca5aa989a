package e2e

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

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
	be := startBackend(t)
	userAddr := tcpAuthFreeAddr(t)
	h := startHybrid(t, fmt.Sprintf(`
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: %s
processors:
  advanced_filter:
    drop_metrics: ["dropme"]
exporters:
  otlp_grpc:
    endpoint: %s
    tls:
      insecure: true
    # Synchronous: a foreign request accepted by the Go bridge receiver would
    # be at the backend before its Export returned.
    sending_queue:
      enabled: false
extensions:
  rust_subprocess:
    transport: tcp
    receiver_placement: false
service:
  telemetry:
    metrics:
      level: none
  pipelines:
    metrics:
      receivers: [otlp]
      processors: [advanced_filter]
      exporters: [otlp_grpc]
`, userAddr, be.Addr), hybridOpts{})
	h.waitReady()

	sendMetrics(t, userAddr, "kept", 30)
	sendMetrics(t, userAddr, "dropme", 30)
	tcpAuthWait(t, "30 kept points at the backend", func() bool { return be.Points("kept") == 30 })
	if got := be.Points("dropme"); got != 0 {
		t.Fatalf("dropme: %d points passed the Rust filter", got)
	}

	// Where the bridges and the health listener are, as both processes log
	// them, checked against the sockets each process really listens on.
	parent, child := h.cmd.Process.Pid, h.rustChild(30*time.Second)
	goBridges, rustEnds := tcpAuthLoggedEndpoints(h.out.String())
	goListening, rustListening := tcpListeners(t, parent), tcpListeners(t, child)
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
	// not take data either.
	_, userPort, _ := net.SplitHostPort(userAddr)
	for _, a := range goListening {
		if _, p, _ := net.SplitHostPort(a); p == userPort || slices.Contains(goBridges, a) {
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
	sendMetrics(t, userAddr, "after", 10)
	tcpAuthWait(t, "10 points sent after the foreign client", func() bool { return be.Points("after") == 10 })
	if got := be.Points("foreign"); got != 0 {
		t.Fatalf("the foreign client injected %d points", got)
	}
	if now := childPIDs(parent); len(now) != 1 || now[0] != child {
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
	if !strings.Contains(string(tcpAuthRead(t, fmt.Sprintf("/proc/%d/cmdline", child))), "--secret-on-stdin") {
		t.Errorf("the child was not asked to read its secret from stdin")
	}
	h.stopGracefully(60 * time.Second)
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

// tcpListeners returns the "ip:port" of every TCP socket pid holds in LISTEN
// state: its socket inodes from /proc/<pid>/fd matched against
// /proc/<pid>/net/tcp{,6}.
func tcpListeners(t *testing.T, pid int) []string {
	t.Helper()
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		link, err := os.Readlink(filepath.Join(fmt.Sprintf("/proc/%d/fd", pid), fd.Name()))
		if ino, ok := strings.CutPrefix(link, "socket:["); err == nil && ok {
			inodes[strings.TrimSuffix(ino, "]")] = true
		}
	}
	var out []string
	for _, table := range []string{"tcp", "tcp6"} {
		f, err := os.Open(fmt.Sprintf("/proc/%d/net/%s", pid, table))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // header
		for sc.Scan() {
			// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
			fields := strings.Fields(sc.Text())
			if len(fields) < 10 || fields[3] != "0A" || !inodes[fields[9]] {
				continue
			}
			out = append(out, tcpAuthAddr(t, fields[1]))
		}
		_ = f.Close()
	}
	slices.Sort(out)
	return out
}

// tcpAuthAddr decodes /proc/net/tcp's "0100007F:1F90" (IPv4 in host byte
// order, little-endian here) into "127.0.0.1:8080".
func tcpAuthAddr(t *testing.T, s string) string {
	t.Helper()
	ipHex, portHex, _ := strings.Cut(s, ":")
	port, err := strconv.ParseUint(portHex, 16, 16)
	if err != nil {
		t.Fatalf("port in %q: %v", s, err)
	}
	raw, err := hex.DecodeString(ipHex)
	if err != nil {
		t.Fatalf("address in %q: %v", s, err)
	}
	ip := make(net.IP, len(raw))
	for i := 0; i < len(raw); i += 4 { // each 32-bit word is little-endian
		ip[i], ip[i+1], ip[i+2], ip[i+3] = raw[i+3], raw[i+2], raw[i+1], raw[i]
	}
	return net.JoinHostPort(ip.String(), strconv.FormatUint(port, 10))
}

func tcpAuthFreeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().String()
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

func tcpAuthWait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func tcpAuthRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
