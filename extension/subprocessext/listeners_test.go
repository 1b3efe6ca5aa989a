//go:build unix

package subprocessext

import (
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"

	"github.com/otelcol-hybrid/otelcol-hybrid/collector/loopback"
)

// The child's listeners (bridge receivers, health) are handed over as
// fd://3, fd://4 in address order and stay bound in this process until
// release; a Go bridge receiver's port (what a Rust exporter dials) is
// freed once the child serves, for the Go receiver to bind; the input
// config is untouched.
func TestHandOffListeners(t *testing.T) {
	reserve := func() string {
		a, err := loopback.Reserve()
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	bridge, health, goSide := reserve(), reserve(), reserve()
	half := map[string]any{
		"receivers": map[string]any{
			"otlp/bridge_1": map[string]any{"protocols": map[string]any{"grpc": map[string]any{"endpoint": bridge}}},
			"otlp/user":     map[string]any{"protocols": map[string]any{"grpc": map[string]any{"endpoint": "127.0.0.1:4317"}}},
		},
		"exporters":  map[string]any{"otlp_rust/bridge_2": map[string]any{"endpoint": goSide}},
		"extensions": map[string]any{"health_check": map[string]any{"endpoint": health}},
		"service":    map[string]any{"extensions": []any{"health_check"}},
	}
	out, h := handOffListeners(half)
	t.Cleanup(h.release)

	endpoint := func(m map[string]any, path ...string) any {
		var v any = m
		for _, p := range path {
			v = v.(map[string]any)[p]
		}
		return v
	}
	fds := map[string]string{bridge: "", health: ""}
	fds[bridge] = endpoint(out, "receivers", "otlp/bridge_1", "protocols", "grpc", "endpoint").(string)
	fds[health] = endpoint(out, "extensions", "health_check", "endpoint").(string)
	want := map[string]string{bridge: "fd://3", health: "fd://4"}
	if health < bridge {
		want = map[string]string{bridge: "fd://4", health: "fd://3"}
	}
	if fds[bridge] != want[bridge] || fds[health] != want[health] {
		t.Fatalf("endpoints %v, want %v", fds, want)
	}
	if got := endpoint(out, "receivers", "otlp/user", "protocols", "grpc", "endpoint"); got != "127.0.0.1:4317" {
		t.Errorf("a port this process does not hold became %v", got)
	}
	if got := endpoint(out, "exporters", "otlp_rust/bridge_2", "endpoint"); got != goSide {
		t.Errorf("the Rust exporter dials %v, want %s", got, goSide)
	}
	if got := endpoint(half, "receivers", "otlp/bridge_1", "protocols", "grpc", "endpoint"); got != bridge {
		t.Errorf("the input config was modified: %v", got)
	}

	// The files are the listening sockets of those addresses, in fd order.
	if len(h.files) != 2 {
		t.Fatalf("%d files, want 2", len(h.files))
	}
	for i, f := range h.files {
		l, err := net.FileListener(f)
		if err != nil {
			t.Fatal(err)
		}
		got := l.Addr().String()
		_ = l.Close()
		if want[got] != fmt.Sprintf("fd://%d", 3+i) {
			t.Errorf("fd %d is %s, whose endpoint is %s", 3+i, got, want[got])
		}
	}

	// Held: nobody else can bind them.
	for _, a := range []string{bridge, health} {
		if l, err := net.Listen("tcp", a); err == nil {
			_ = l.Close()
			t.Errorf("%s could be bound while held for the child", a)
		} else if !errors.Is(err, syscall.EADDRINUSE) {
			t.Errorf("binding %s: %v, want EADDRINUSE", a, err)
		}
	}
	// The Go bridge receiver's port: held while the child starts, then
	// free for the receiver to bind.
	if _, held := loopback.File(goSide); !held {
		t.Errorf("the Go bridge receiver's port %s was released before the child started", goSide)
	}
	h.releaseGoSide()
	l, err := net.Listen("tcp", goSide)
	if err != nil {
		t.Fatalf("the Go bridge receiver's port %s is still held: %v", goSide, err)
	}
	_ = l.Close()

	h.release()
	for _, a := range []string{bridge, health} {
		if _, held := loopback.File(a); held {
			t.Errorf("%s still held after release", a)
		}
	}
}
