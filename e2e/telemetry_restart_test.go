package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/otelcol-hybrid/otelcol-hybrid/internal/testkit"
)

// healthStatus is the health_check extension's /status answer.
func healthStatus(t *testing.T, addr string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/status?verbose")
	if err != nil {
		t.Fatalf("health: %v", err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// waitHealth waits for /status to answer 200 (healthy) or, with healthy
// false, any error status (the extension answers 500 for a recoverable error).
func waitHealth(t *testing.T, addr string, healthy bool, within time.Duration) string {
	t.Helper()
	var got int
	var body string
	testkit.Eventually(t, within, fmt.Sprintf("health status 200 to be %v", healthy), func() bool {
		got, body = healthStatus(t, addr)
		return (got == http.StatusOK) == healthy
	})
	return body
}

// TestKillingTheRustChildShowsInHealthAndMetrics: kill -9 of the Rust half
// (the receiver is placed in it) turns the health endpoint's /status unhealthy, naming
// rust_subprocess and supervisor_child_up to 0 until the restart; then the
// restart is counted, health is back to 200, and the Rust receiver's
// accepted counter goes on from where the dead child left it instead of
// falling back to zero. The command line sets no feature gate: health_check
// answers from component status by default.
func TestKillingTheRustChildShowsInHealthAndMetrics(t *testing.T) {
	t.Parallel()
	skipInEmbedded(t, "no Rust child to kill or restart")
	s := startScenario(t, "telemetry_restart.yaml", scenarioOpts{})
	h, prom, health := s.h, s.prom, s.health
	send := func(count int) {
		// The receiver runs in the Rust child: a restarted child binds it
		// anew, on a port of its own (the config asks for port 0).
		c := otlpClient(t, h.listenAddr(grpcIP))
		for range count {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			st, _ := export(ctx, c, "tel_keep")
			cancel()
			if st.Code() != codes.OK {
				t.Fatalf("export: %v", st)
			}
		}
	}
	accepted := []string{"receiver=otlp", "transport=grpc"}
	send(5)
	waitHealth(t, health, true, 10*time.Second)
	waitForSeries(t, prom, []expectSeries{
		{"otelcol_receiver_accepted_metric_points", accepted, 5},
		{"supervisor_child_up", nil, 1},
		{"supervisor_child_restarts", nil, 0},
	})

	if err := syscall.Kill(h.rustChild(5*time.Second), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	body := waitHealth(t, health, false, 2*time.Second)
	if !strings.Contains(body, `"extension:rust_subprocess":{"healthy":false`) || !strings.Contains(body, "killed by signal SIGKILL") {
		t.Errorf("the unhealthy status does not name rust_subprocess and why: %s", body)
	}
	waitForSeries(t, prom, []expectSeries{
		{"supervisor_child_up", nil, 0},
		// The dead child's count stands while it is down.
		{"otelcol_receiver_accepted_metric_points", accepted, 5},
	})

	waitForSeries(t, prom, []expectSeries{
		{"supervisor_child_up", nil, 1},
		{"supervisor_child_restarts", nil, 1},
	})
	waitHealth(t, health, true, 10*time.Second)
	send(3)
	waitForSeries(t, prom, []expectSeries{{"otelcol_receiver_accepted_metric_points", accepted, 8}})
}

// healthComponent finds component key (such as "extension:rust_subprocess")
// anywhere in a health_check component-status answer.
type healthComponent struct {
	Healthy    bool                        `json:"healthy"`
	Status     string                      `json:"status"`
	Error      string                      `json:"error"`
	Components map[string]*healthComponent `json:"components"`
}

func (c *healthComponent) find(key string) *healthComponent {
	if c == nil {
		return nil
	}
	if got, ok := c.Components[key]; ok {
		return got
	}
	for _, sub := range c.Components {
		if got := sub.find(key); got != nil {
			return got
		}
	}
	return nil
}

// TestHealthCheckShowsTheRustHalfByDefault: a health_check configured as
// most operators configure it (an endpoint, the legacy format) answers from
// component status without any feature gate on the command line: its "/"
// names the Rust half's extension, and after kill -9 of the child it carries
// the child's error (with 200: only component_health's
// include_recoverable_errors makes a recoverable error unhealthy). With
// --feature-gates=-extension.healthcheck.useComponentStatus the operator
// gets the legacy answer back, which knows nothing of the Rust half.
func TestHealthCheckShowsTheRustHalfByDefault(t *testing.T) {
	t.Parallel()
	ext := "extension:rust_subprocess"
	if embedded() {
		ext = "extension:rust_embedded"
	}
	get := func(t *testing.T, url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatalf("health: %v", err)
		}
		defer func() { _ = resp.Body.Close() }()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	// waitRust waits until "/" has the Rust half's extension in status want.
	waitRust := func(t *testing.T, addr, want string) *healthComponent {
		t.Helper()
		var got *healthComponent
		var code int
		var body string
		testkit.Eventually(t, 10*time.Second, fmt.Sprintf("%s to be %s on %s/", ext, want, addr), func() bool {
			code, body = get(t, "http://"+addr+"/?verbose")
			var st healthComponent
			if json.Unmarshal([]byte(body), &st) != nil {
				return false
			}
			got = st.find(ext)
			return got != nil && got.Status == want
		})
		if code != http.StatusOK {
			t.Errorf("health answered %d with %s %s, want 200: %s", code, ext, want, body)
		}
		return got
	}

	t.Run("default", func(t *testing.T) {
		t.Parallel()
		s := startScenario(t, "health_default.yaml", scenarioOpts{})
		waitRust(t, s.health, "StatusOK")
		if embedded() {
			return // no child to kill
		}
		if err := syscall.Kill(s.h.rustChild(5*time.Second), syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		down := waitRust(t, s.health, "StatusRecoverableError")
		if !strings.Contains(down.Error, "killed by signal SIGKILL") {
			t.Errorf("%s's error does not say why: %q", ext, down.Error)
		}
		waitRust(t, s.health, "StatusOK")
	})

	t.Run("turned off", func(t *testing.T) {
		t.Parallel()
		s := startScenario(t, "health_default.yaml", scenarioOpts{hybridOpts: hybridOpts{
			args: []string{"--feature-gates=-extension.healthcheck.useComponentStatus"},
		}})
		code, body := get(t, "http://"+s.health+"/?verbose")
		if code != http.StatusOK || !strings.Contains(body, `"status":"Server available"`) || strings.Contains(body, ext) {
			t.Errorf("health with the gate off answered %d: %s, want 200 with the legacy body", code, body)
		}
	})
}
