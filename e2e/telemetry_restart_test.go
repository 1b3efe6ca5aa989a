package e2e

import (
	"context"
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
// falling back to zero.
func TestKillingTheRustChildShowsInHealthAndMetrics(t *testing.T) {
	t.Parallel()
	skipInEmbedded(t, "no Rust child to kill or restart")
	s := startScenario(t, "telemetry_restart.yaml", scenarioOpts{hybridOpts: hybridOpts{
		args: []string{"--feature-gates=+extension.healthcheck.useComponentStatus"},
	}})
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
