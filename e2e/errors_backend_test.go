package e2e

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/otelcol-hybrid/otelcol-hybrid/internal/testkit"
)

// backendRow: what the backend answers the Rust otlp_rust exporter for a
// metric, and what the Go client of the Go receiver must see.
type backendRow struct {
	metric   string
	fail     func(attempt int) error
	code     codes.Code // client's final code
	attempts int        // backend calls for one client call
	gap      time.Duration
}

func exhausted(delay time.Duration) error {
	st := status.New(codes.ResourceExhausted, "be-throttled")
	if delay > 0 {
		st, _ = st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(delay)})
	}
	return st.Err()
}

func failFirst(n int, err error) func(int) error {
	return func(a int) error {
		if a <= n {
			return err
		}
		return nil
	}
}

// TestBackendErrorsThroughRustExporter: errors a real backend returns
// to the Rust otlp_rust exporter are retried or dropped the way the Go
// otlpexporter would, and the outcome reaches the Go caller only once known:
//   - Unavailable ×2, then OK: Rust retries, the client gets OK only after the
//     backend accepted (its call returns after the 3rd backend call);
//   - ResourceExhausted + RetryInfo 3s, then OK: Rust waits ≥ 3s, client OK;
//   - ResourceExhausted without RetryInfo, InvalidArgument, Unauthenticated,
//     PermissionDenied: permanent, one backend call, the client gets the
//     backend's code (Rust → Go bridge → Go receiver keep it);
//   - the same over OTLP/HTTP: the Go HTTP receiver answers 429/400/401/403.
func TestBackendErrorsThroughRustExporter(t *testing.T) {
	t.Parallel()
	be := startBackend(t)
	rows := []backendRow{
		{metric: "be_unavailable", fail: failFirst(2, status.Error(codes.Unavailable, "be-unavailable")), code: codes.OK, attempts: 3},
		{metric: "be_throttled", fail: failFirst(1, exhausted(3*time.Second)), code: codes.OK, attempts: 2, gap: 3 * time.Second},
		{metric: "be_exhausted_bare", fail: failFirst(99, exhausted(0)), code: codes.ResourceExhausted, attempts: 1},
		{metric: "be_invalid", fail: failFirst(99, status.Error(codes.InvalidArgument, "be-invalid")), code: codes.InvalidArgument, attempts: 1},
		{metric: "be_unauthenticated", fail: failFirst(99, status.Error(codes.Unauthenticated, "be-unauthenticated")), code: codes.Unauthenticated, attempts: 1},
		{metric: "be_permission", fail: failFirst(99, status.Error(codes.PermissionDenied, "be-permission")), code: codes.PermissionDenied, attempts: 1},
	}
	fails := map[string]func(int) error{}
	for _, r := range rows {
		fails[r.metric] = r.fail
		fails[r.metric+"_http"] = r.fail
	}
	be.SetMetricFailure(func(name string, attempt int) error {
		if f := fails[name]; f != nil {
			return f(attempt)
		}
		return nil
	})
	s := startScenario(t, "backend_errors.yaml", scenarioOpts{be: be})
	h, inHTTP := s.h, s.http
	c := otlpClient(t, s.grpc)

	var wg sync.WaitGroup
	for _, r := range rows {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			st, took := export(ctx, c, r.metric)
			returned := time.Now()
			reqs := be.MetricReqs(r.metric)
			if st.Code() != r.code || len(reqs) != r.attempts {
				t.Errorf("%s: client got %v with %d backend calls, want %v with %d", r.metric, st, len(reqs), r.code, r.attempts)
				return
			}
			last := reqs[len(reqs)-1]
			if r.code == codes.OK && (last.Refused != nil || last.At.After(returned)) {
				t.Errorf("%s: the client's OK came before the backend accepted", r.metric)
			}
			if r.gap > 0 {
				if g := reqs[1].At.Sub(reqs[0].At); g < r.gap {
					t.Errorf("%s: Rust retried after %s, before the backend's RetryInfo %s", r.metric, g, r.gap)
				}
			}
			t.Logf("%-18s → client %-16v after %s, %d backend calls", r.metric, st.Code(), took.Round(time.Millisecond), len(reqs))
		}()
	}
	wg.Wait()

	// No retry happened on the Go side: Rust absorbed the retryable errors and
	// Go dropped the permanent ones at once.
	if n := len(entries(h, false, "Exporting failed. Will retry the request after interval.")); n != 0 {
		t.Errorf("Go retried %d times; the Rust exporter should have handled retryable backend errors", n)
	}
	testkit.Eventually(t, 10*time.Second, "the Rust exporter's retry log lines", func() bool {
		return len(entries(h, true, "export failed, retrying")) >= 3 && len(entries(h, true, "export failed, not retryable")) >= 4
	})

	for metric, want := range map[string]int{"be_exhausted_bare_http": 429, "be_invalid_http": 400, "be_unauthenticated_http": 401, "be_permission_http": 403} {
		got, body := postMetric(t, inHTTP, metric)
		if got != want {
			t.Errorf("HTTP %s: %d, want %d (%s)", metric, got, want, strings.ToValidUTF8(body, "?"))
		}
	}
}
