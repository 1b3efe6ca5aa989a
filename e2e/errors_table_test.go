package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/otelcol-hybrid/otelcol-hybrid/internal/testkit"
)

// faultRow is one ProcessingError variant raised by a Rust fault processor.
type faultRow struct {
	name      string // fault/<name>, metric fault_<name>, message fault-<name>
	cfg       string
	code      codes.Code    // what the Go client gets back
	retryable bool          // Go retries it (and the retry then succeeds)
	minDelay  time.Duration // RetryInfo delay Go must honour (0 = none)
}

var faultTable = []faultRow{
	{name: "permanent", cfg: "error: permanent", code: codes.Internal},
	{name: "configuration", cfg: "error: configuration", code: codes.InvalidArgument},
	{name: "retryable", cfg: "error: retryable, times: 2", code: codes.Unavailable, retryable: true},
	{name: "cancelled", cfg: "error: cancelled, times: 2", code: codes.Canceled, retryable: true},
	{name: "timeout", cfg: "error: timeout, times: 2", code: codes.DeadlineExceeded, retryable: true},
	{name: "exhausted", cfg: "error: resource_exhausted, times: 2", code: codes.ResourceExhausted, retryable: true},
	{name: "throttled", cfg: "error: resource_exhausted, retry_after: 9s, times: 2", code: codes.ResourceExhausted, retryable: true, minDelay: 9 * time.Second},
}

// TestErrorTableFaultToGo: every ProcessingError variant raised in Rust
// (fault processor) → gRPC status (+RetryInfo) → what the Go side does, seen by
// a real Go client of the Go receiver and in the Go exporter's log:
//   - call A, client deadline 2s: the exact Rust code (and message, and the
//     RetryInfo delay) comes back to the client at once — for retryable codes
//     because Go will not retry past the caller's deadline;
//   - call B, no client deadline: permanent codes are dropped, never retried
//     (no "Will retry", one fault per call, the code again); retryable codes are retried
//     ("Will retry") and the call succeeds once the fault is spent, the point
//     delivered exactly once; ResourceExhausted with retry_after 9s is retried
//     after ≥ 9s (the RetryInfo delay beats the 2.5–7.5s backoff).
//
// The HTTP mapping is checked on the same collector: a Go otlp HTTP receiver
// answers permanent faults with the collector's HTTP status for them.
func TestErrorTableFaultToGo(t *testing.T) {
	t.Parallel()
	var procs, names strings.Builder
	for _, r := range faultTable {
		fmt.Fprintf(&procs, "  fault/%s: {%s, metric_names: [\"fault_%s*\"], message: fault-%s}\n", r.name, r.cfg, r.name, r.name)
		fmt.Fprintf(&names, "fault/%s, ", r.name)
	}
	s := startScenario(t, "fault_table.yaml", scenarioOpts{vars: map[string]string{
		"FAULT_PROCESSORS": strings.TrimSuffix(procs.String(), "\n"),
		"FAULT_NAMES":      strings.TrimSuffix(names.String(), ", "),
	}})
	be, h, inHTTP := s.be, s.h, s.http
	c := otlpClient(t, s.grpc)

	var wg sync.WaitGroup
	for _, r := range faultTable {
		wg.Add(1)
		go func() {
			defer wg.Done()
			metric := "fault_" + r.name
			// Call A: the code travels back to a caller with a deadline.
			actx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			st, took := export(actx, c, metric)
			cancel()
			if st.Code() != r.code || !strings.Contains(st.Message(), "fault-"+r.name) {
				t.Errorf("%s: call A got %v (%s), want %v with the Rust message fault-%s", r.name, st, took, r.code, r.name)
			}
			if r.minDelay > 0 {
				if d := retryDelay(st); d != r.minDelay {
					t.Errorf("%s: the client got RetryInfo delay %v, want %v", r.name, d, r.minDelay)
				}
			}
			// Call B: Go's retry/drop decision.
			bctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			st, took = export(bctx, c, metric)
			switch {
			case r.retryable && st.Code() != codes.OK:
				t.Errorf("%s: call B got %v after %s, want OK after Go's retry", r.name, st, took)
			case !r.retryable && st.Code() != r.code:
				t.Errorf("%s: call B got %v, want %v again", r.name, st, r.code)
			case r.minDelay > 0 && took < r.minDelay:
				t.Errorf("%s: call B succeeded after %s, before the RetryInfo delay %s", r.name, took, r.minDelay)
			}
			t.Logf("%-13s → client %-17v retried=%v call B %s", r.name, r.code, r.retryable, took.Round(time.Millisecond))
		}()
	}
	wg.Wait()

	// The child's log lines are re-emitted asynchronously: wait for all 14.
	testkit.Eventually(t, 30*time.Second, "every Rust fault to be logged", func() bool {
		return len(entries(h, true, "fault: injecting error")) >= 2*len(faultTable)
	})
	for _, r := range faultTable {
		metric, msg := "fault_"+r.name, "fault-"+r.name
		injected := len(entries(h, true, "fault: injecting error", "processor", "fault/"+r.name))
		retries := goEntriesWithError(h, "Exporting failed. Will retry the request after interval.", "desc = "+msg)
		if r.retryable {
			if len(retries) != 1 || injected != 2 || be.Points(metric) != 1 {
				t.Errorf("%s: %d Go retries, %d Rust faults, %d points delivered; want 1, 2, 1", r.name, len(retries), injected, be.Points(metric))
			}
			if len(retries) == 1 && r.minDelay > 0 {
				iv, err := time.ParseDuration(fmt.Sprint(retries[0]["interval"]))
				if err != nil || iv < r.minDelay {
					t.Errorf("%s: Go retried after %v, want ≥ %s (RetryInfo)", r.name, retries[0]["interval"], r.minDelay)
				}
				t.Logf("%s: Go's retry interval %v (RetryInfo %s)", r.name, retries[0]["interval"], r.minDelay)
			}
		} else if len(retries) != 0 || injected != 2 || be.Points(metric) != 0 {
			// The bridge exporter sends synchronously: the permanent error
			// goes back to the caller (call B got the code again), not to a
			// queue that would log "Dropping data".
			t.Errorf("%s: %d Go retries, %d Rust faults, %d points; want 0, 2 (one per call), 0", r.name, len(retries), injected, be.Points(metric))
		}
	}

	// HTTP: the Go otlp HTTP receiver maps what Rust answered to HTTP statuses
	// (the collector's GetHTTPStatusCodeFromStatus, which is the cross-runtime
	// error model's HTTP table for these variants).
	for metric, want := range map[string]int{"fault_permanent_http": 500, "fault_configuration_http": 400, "fault_ok_http": 200} {
		got, body := postMetric(t, inHTTP, metric)
		if got != want {
			t.Errorf("HTTP %s: %d, want %d (%s)", metric, got, want, body)
			continue
		}
		if want != 200 {
			var st spb.Status
			if err := proto.Unmarshal([]byte(body), &st); err != nil || !strings.Contains(st.GetMessage(), strings.TrimSuffix(strings.ReplaceAll(metric, "_", "-"), "-http")) {
				t.Errorf("HTTP %s: body %q (%v) does not carry the Rust message", metric, st.GetMessage(), err)
			}
		}
	}
}

// retryDelay is the RetryInfo delay carried by st (0 if none).
func retryDelay(st *status.Status) time.Duration {
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			return ri.GetRetryDelay().AsDuration()
		}
	}
	return 0
}

// postMetric sends one gauge over OTLP/HTTP (protobuf) and returns the status.
func postMetric(t *testing.T, addr, name string) (int, string) {
	t.Helper()
	body, err := oneGauge(name).MarshalProto()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+"/v1/metrics", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-protobuf")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", name, err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
