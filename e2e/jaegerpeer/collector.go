package jaegerpeer

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// Binary returns the path in env var name, or skips the test: `make test`
// sets it; a bare `go test` has not built the binaries.
func Binary(t *testing.T, name string) string {
	t.Helper()
	p := os.Getenv(name)
	if p == "" {
		if os.Getenv("E2E_REQUIRED") != "" {
			t.Fatalf("%s is not set but E2E_REQUIRED is", name)
		}
		t.Skipf("%s is not set: run through make test-jaeger", name)
	}
	return p
}

// Ports are one listener set of a jaeger receiver.
type Ports struct {
	GRPC, HTTP, Compact, Binary string
}

// FreePorts picks free localhost ports (TCP for gRPC and HTTP, UDP for the agent).
func FreePorts(t *testing.T) Ports {
	t.Helper()
	tcp := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = l.Close() }()
		return l.Addr().String()
	}
	udp := func() string {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = c.Close() }()
		return c.LocalAddr().String()
	}
	return Ports{GRPC: tcp(), HTTP: tcp(), Compact: udp(), Binary: udp()}
}

// ReceiverYAML is the jaeger receiver's settings for p, the same keys for
// the Go and the Rust receiver.
func (p Ports) ReceiverYAML(indent string) string {
	return fmt.Sprintf(`%[1]sprotocols:
%[1]s  grpc: {endpoint: "%[2]s"}
%[1]s  thrift_http: {endpoint: "%[3]s"}
%[1]s  thrift_compact: {endpoint: "%[4]s"}
%[1]s  thrift_binary: {endpoint: "%[5]s"}
`, indent, p.GRPC, p.HTTP, p.Compact, p.Binary)
}

// syncBuf collects a process's output for failure messages.
type syncBuf struct {
	mu sync.Mutex
	b  []byte
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b = append(s.b, p...)
	return len(p), nil
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.b)
}

// Process is a running collector binary.
type Process struct {
	Cmd *exec.Cmd
	Out *syncBuf
}

// StartProcess runs bin with args (the config is written to a file named by
// {config} in args) and waits until grpcAddr's health service says SERVING.
func StartProcess(t *testing.T, bin, config, grpcAddr string, extraArgs ...string) *Process {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"--config", cfg}, extraArgs...)
	cmd := exec.Command(bin, args...)
	out := &syncBuf{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &Process{Cmd: cmd, Out: out}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", filepath.Base(bin), out.String())
		}
	})
	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		r, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
		cancel()
		if err == nil && r.Status == healthpb.HealthCheckResponse_SERVING {
			return p
		}
		if cmd.ProcessState != nil || time.Now().After(deadline) {
			t.Fatalf("%s not serving on %s: %v\n%s", bin, grpcAddr, err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
