package supervisor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

const testSecretHeader = "x-test-secret"

func randomSecret(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// TestSecretReachesTheChildPrivately: the child reads the secret from its
// stdin and refuses every health call without it; the supervisor's probes,
// Watch and Call carry it, and it appears in neither the child's command
// line nor its environment (which other local users can read on Linux
// through /proc/<pid>/cmdline, and on some systems through ps).
func TestSecretReachesTheChildPrivately(t *testing.T) {
	secret := randomSecret(t)
	h := newHarness(t, "-require-secret", testSecretHeader, "-stdin-eof-exit", "0")
	h.cfg.Secret, h.cfg.SecretHeader = secret, testSecretHeader
	s := h.start()
	if st := s.Status(); st.State != StateReady {
		t.Fatalf("status %+v", st)
	}
	req, _ := proto.Marshal(&healthpb.HealthCheckRequest{})
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	raw, err := s.Call(ctx, "/grpc.health.v1.Health/Check", req)
	if err != nil {
		t.Fatalf("Call: %v", err)
	}
	var resp healthpb.HealthCheckResponse
	if err := proto.Unmarshal(raw, &resp); err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("Call answered %v (%v)", resp.GetStatus(), err)
	}

	pid := s.Status().PID
	if runtime.GOOS == "linux" {
		for _, f := range []string{"cmdline", "environ"} {
			b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/" + f)
			if err != nil {
				t.Fatal(err)
			}
			if len(b) == 0 {
				t.Fatalf("/proc/%d/%s is empty: not the child?", pid, f)
			}
			if strings.Contains(string(b), secret) {
				t.Errorf("the secret is in the child's /proc/%d/%s", pid, f)
			}
		}
	}
	shutdown(t, s)
}

// TestHealthWithoutTheSecretIsRefused: a probe under another metadata key
// (so, without the secret) is refused by the child, and the start fails with
// the refusal in the error rather than looking ready.
func TestHealthWithoutTheSecretIsRefused(t *testing.T) {
	h := newHarness(t, "-require-secret", testSecretHeader)
	h.cfg.Secret, h.cfg.SecretHeader = randomSecret(t), "x-some-other-key"
	h.cfg.StartTimeout = 2 * time.Second
	err := h.new().Start(context.Background())
	if err == nil {
		t.Fatal("Start succeeded although every health call was refused")
	}
	if !strings.Contains(err.Error(), "no secret") {
		t.Fatalf("Start error %q does not carry the child's refusal", err)
	}
}

func TestSecretMustBeAHeaderValue(t *testing.T) {
	for name, cfg := range map[string]Config{
		"newline":   {Secret: "abc\ndef", SecretHeader: "x"},
		"space":     {Secret: "abc def", SecretHeader: "x"},
		"no header": {Secret: "abcdef"},
	} {
		cfg.Path, cfg.HealthEndpoint = "/bin/true", "127.0.0.1:1"
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: New accepted the secret", name)
		}
	}
}

// TestRealCollectorRequiresTheSecret: the real otelcol-rust reads the secret
// from stdin (--secret-on-stdin) and its health listener (bridge_secret)
// answers the supervisor, and only the supervisor.
func TestRealCollectorRequiresTheSecret(t *testing.T) {
	h := realHarness(t, func(dir string) string {
		return strings.Replace(rustConfig(dir), "  health_check:\n    endpoint:", "  health_check:\n    bridge_secret: true\n    endpoint:", 1)
	})
	secret := randomSecret(t)
	h.cfg.Args = append(h.cfg.Args, "--secret-on-stdin")
	h.cfg.Secret, h.cfg.SecretHeader = secret, "x-otelcol-hybrid-secret"
	s := h.start()
	pid := s.Status().PID
	if runtime.GOOS == "linux" {
		for _, f := range []string{"cmdline", "environ"} {
			b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/" + f)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b), secret) {
				t.Errorf("the secret is in the child's /proc/%d/%s", pid, f)
			}
		}
	}
	conn, err := grpc.NewClient("unix://"+h.sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	_, err = healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if status.Code(err) != codes.Unauthenticated {
		t.Fatalf("health check without the secret: %v, want Unauthenticated", err)
	}
	if st := s.Status(); st.State != StateReady || st.PID != pid {
		t.Fatalf("status %+v after a foreign probe", st)
	}
	shutdown(t, s)
	if st := s.Status(); st.LastExitCode != 0 {
		t.Fatalf("otelcol-rust did not exit 0: %+v", st)
	}
}
