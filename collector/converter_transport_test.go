package collector

import (
	"strings"
	"testing"

	"github.com/otelcol-hybrid/otelcol-hybrid/extension/bridgectxext"
	"github.com/otelcol-hybrid/otelcol-hybrid/partition"
)

// The operator picks the bridges' transport on any platform; unset, the
// platform decides (tcp on Windows), and a bad value names the setting.
func TestUserTransport(t *testing.T) {
	with := func(v any) map[string]any {
		return map[string]any{"extensions": map[string]any{"rust_subprocess": map[string]any{"transport": v}}}
	}
	for _, tc := range []struct {
		user        map[string]any
		goos, want  string
		errContains string
	}{
		{user: map[string]any{}, goos: "linux", want: "unix"},
		{user: map[string]any{}, goos: "darwin", want: "unix"},
		{user: map[string]any{}, goos: "windows", want: "tcp"},
		{user: with("tcp"), goos: "linux", want: "tcp"},
		{user: with("unix"), goos: "darwin", want: "unix"},
		{user: with("tcp"), goos: "windows", want: "tcp"},
		{user: with(nil), goos: "linux", want: "unix"},
		{user: with("unix"), goos: "windows", errContains: "not available to otelcol-rust on windows"},
		{user: with("udp"), goos: "linux", errContains: "udp is not one of unix, tcp"},
		{user: with(4317), goos: "linux", errContains: "expected type 'string'"},
	} {
		got, err := userTransport(tc.user, tc.goos, "amd64")
		if tc.errContains != "" {
			if err == nil || !strings.Contains(err.Error(), tc.errContains) ||
				!strings.Contains(err.Error(), "extensions::rust_subprocess::transport") {
				t.Errorf("%v on %s: error %v, want one naming the setting and %q", tc.user, tc.goos, err, tc.errContains)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%v on %s: %q, %v; want %q", tc.user, tc.goos, got, err, tc.want)
		}
	}
}

// transport: tcp gives loopback bridges and health, each end authenticated:
// the Go bridge receiver names bridge_context as its authenticator (and the
// converter defines it), the Rust ends ask for the bridge secret.
func TestConverterTCPTransportAuthenticatesEveryBridge(t *testing.T) {
	out, err := convert(t, `
receivers:
  otlp:
    protocols: {grpc: {endpoint: "127.0.0.1:4317"}}
processors:
  advanced_filter: {drop_metrics: [up]}
exporters:
  debug: {}
extensions:
  rust_subprocess:
    transport: tcp
    receiver_placement: false
service:
  pipelines:
    metrics:
      receivers: [otlp]
      processors: [advanced_filter]
      exporters: [debug]
`)
	if err != nil {
		t.Fatal(err)
	}
	sub := out["extensions"].(map[string]any)["rust_subprocess"].(map[string]any)
	if h := sub["health_endpoint"].(string); !strings.HasPrefix(h, "127.0.0.1:") {
		t.Errorf("health endpoint %q is not loopback TCP", h)
	}
	if _, ok := out["extensions"].(map[string]any)[partition.GoBridgeAuthenticator]; !ok {
		t.Errorf("the bridge receivers' authenticator %s is not defined", partition.GoBridgeAuthenticator)
	}
	var goRecv map[string]any
	for id, r := range out["receivers"].(map[string]any) {
		if strings.Contains(id, "bridge_") {
			goRecv = r.(map[string]any)["protocols"].(map[string]any)["grpc"].(map[string]any)
		}
	}
	if goRecv == nil || !strings.HasPrefix(goRecv["endpoint"].(string), "127.0.0.1:") {
		t.Fatalf("no loopback Go bridge receiver: %v", out["receivers"])
	}
	if a, _ := goRecv["auth"].(map[string]any); a["authenticator"] != partition.GoBridgeAuthenticator {
		t.Errorf("Go bridge receiver auth = %v", goRecv["auth"])
	}
	rust := rustHalfOf(t, out)
	hc := rust["extensions"].(map[string]any)["health_check"].(map[string]any)
	if hc["bridge_secret"] != true {
		t.Errorf("health_check without bridge_secret: %v", hc)
	}
	n := 0
	for id, r := range rust["receivers"].(map[string]any) {
		g := r.(map[string]any)["protocols"].(map[string]any)["grpc"].(map[string]any)
		if g["bridge_secret"] != true || !strings.HasPrefix(g["endpoint"].(string), "127.0.0.1:") {
			t.Errorf("Rust bridge receiver %s: %v", id, g)
		}
		n++
	}
	for id, e := range rust["exporters"].(map[string]any) {
		if e.(map[string]any)["bridge_secret"] != true {
			t.Errorf("Rust bridge exporter %s: %v", id, e)
		}
		n++
	}
	if n != 2 {
		t.Errorf("want one Rust bridge end each way, got %d", n)
	}
}

// The partitioner names the Go authenticator by id; the distribution's
// bridge_context must be it.
func TestBridgeAuthenticatorIsBridgeContext(t *testing.T) {
	if partition.GoBridgeAuthenticator != bridgectxext.Type.String() {
		t.Fatalf("partition.GoBridgeAuthenticator = %q, bridge_context's type is %q", partition.GoBridgeAuthenticator, bridgectxext.Type)
	}
}
