package jaegerpeer

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
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
	Cmd     *exec.Cmd
	Out     *syncBuf
	exited  chan struct{}
	waitErr error
}

// ProcOpts shape StartProcess.
type ProcOpts struct {
	// Args after --config <file>, e.g. more --config sources.
	Args []string
	Env  []string
	// ReadyLog is a line the process logs once it is ready ("" = health only).
	ReadyLog string
	// ConfigFile is used as the first --config instead of writing config.
	ConfigFile string
}

// StartProcess writes config to a file, runs bin on it in its own process
// group (a hybrid's Rust child is stopped with it) and waits until
// grpcAddr's health service says SERVING ("": not asked) and o.ReadyLog
// was logged.
func StartProcess(t *testing.T, bin, config, grpcAddr string, o ...ProcOpts) *Process {
	t.Helper()
	var opts ProcOpts
	if len(o) > 0 {
		opts = o[0]
	}
	dir, err := os.MkdirTemp("", "jgr") // short: unix socket paths are limited
	if err != nil {
		t.Fatal(err)
	}
	cfg := opts.ConfigFile
	if cfg == "" {
		cfg = filepath.Join(dir, "config.yaml")
		if err := os.WriteFile(cfg, []byte(config), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bin, append([]string{"--config", cfg}, opts.Args...)...)
	cmd.Env = append(os.Environ(), "OTELCOL_HYBRID_RUNTIME_DIR="+dir, "OTELCOL_HYBRID_CACHE_DIR="+filepath.Join(dir, "c"))
	cmd.Env = append(cmd.Env, opts.Env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out := &syncBuf{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &Process{Cmd: cmd, Out: out, exited: make(chan struct{})}
	go func() { p.waitErr = cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		if !p.Stop(10 * time.Second) {
			t.Errorf("%s did not stop within 10s of SIGINT", filepath.Base(bin))
		}
		_ = os.RemoveAll(dir)
		if t.Failed() {
			t.Logf("%s output:\n%s", filepath.Base(bin), out.String())
		}
	})
	serving := func() (bool, error) { return true, nil }
	if grpcAddr != "" {
		conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = conn.Close() }()
		serving = func() (bool, error) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			r, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
			return err == nil && r.Status == healthpb.HealthCheckResponse_SERVING, err
		}
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		ok, err := serving()
		if ok && strings.Contains(out.String(), opts.ReadyLog) {
			return p
		}
		select {
		case <-p.exited:
			t.Fatalf("%s exited before it was ready: %v\n%s", bin, p.waitErr, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready (health on %s: %v)\n%s", bin, grpcAddr, err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop sends SIGINT and waits; past the grace the whole group is killed.
// It reports whether the process stopped by itself.
func (p *Process) Stop(grace time.Duration) bool {
	select {
	case <-p.exited:
		return true
	default:
	}
	_ = p.Cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.exited:
		return true
	case <-time.After(grace):
		// Kill the group before reaping, never after (the PID may be reused).
		_ = syscall.Kill(-p.Cmd.Process.Pid, syscall.SIGKILL)
		<-p.exited
		return false
	}
}
