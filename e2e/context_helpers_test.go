package e2e

// Helpers of the tests of context and error propagation across the
// Go ↔ Rust process boundary: a Go OTLP/gRPC client with metadata, and a
// parser for the collector's JSON log, where the Rust child's lines appear
// under the `rust` logger with their fields (and the child's own timestamp in
// child_time).

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// otlpClient is a plain Go OTLP/gRPC metrics client: the kind of real client
// whose metadata, deadline and cancellation the Go receiver sees.
func otlpClient(t *testing.T, addr string, opts ...grpc.DialOption) pmetricotlp.GRPCClient {
	t.Helper()
	conn, err := grpc.NewClient(addr, append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return pmetricotlp.NewGRPCClient(conn)
}

// oneGauge is an export request with a single gauge point named name.
func oneGauge(name string) pmetricotlp.ExportRequest {
	md := pmetric.NewMetrics()
	m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName(name)
	dp := m.SetEmptyGauge().DataPoints().AppendEmpty()
	dp.SetIntValue(1)
	dp.SetTimestamp(1)
	return pmetricotlp.NewExportRequestFromMetrics(md)
}

// export sends one gauge named name with the given outgoing metadata (pairs)
// and returns the status the client got and how long the call took.
func export(ctx context.Context, c pmetricotlp.GRPCClient, name string, kv ...string) (*status.Status, time.Duration) {
	if len(kv) > 0 {
		ctx = metadata.AppendToOutgoingContext(ctx, kv...)
	}
	start := time.Now()
	_, err := c.Export(ctx, oneGauge(name))
	return status.Convert(err), time.Since(start)
}

// logEntries parses every JSON line of the collector's output.
func logEntries(h *hybrid) []map[string]any {
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(h.out.String()))
	sc.Buffer(make([]byte, 0, 64*1024), 4<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 || line[0] != '{' {
			continue
		}
		var m map[string]any
		if json.Unmarshal(line, &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

// isRust: the entry was re-emitted from the otelcol-rust child.
func isRust(e map[string]any) bool {
	l, _ := e["logger"].(string)
	return l == "rust" || strings.HasSuffix(l, ".rust")
}

// entries returns the log entries whose msg is msg and whose fields contain
// every key=value in where (values compared as strings).
func entries(h *hybrid, rust bool, msg string, where ...string) []map[string]any {
	var out []map[string]any
	for _, e := range logEntries(h) {
		if e["msg"] != msg || isRust(e) != rust {
			continue
		}
		ok := true
		for i := 0; i+1 < len(where); i += 2 {
			if fmt.Sprint(e[where[i]]) != where[i+1] {
				ok = false
			}
		}
		if ok {
			out = append(out, e)
		}
	}
	return out
}

// goEntriesWithError: Go log entries with msg whose "error" field contains substr.
func goEntriesWithError(h *hybrid, msg, substr string) []map[string]any {
	var out []map[string]any
	for _, e := range entries(h, false, msg) {
		if s, _ := e["error"].(string); strings.Contains(s, substr) {
			out = append(out, e)
		}
	}
	return out
}

// childTime is the Rust child's own timestamp of a re-emitted line.
func childTime(t *testing.T, e map[string]any) time.Time {
	t.Helper()
	s, _ := e["child_time"].(string)
	ts, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("child_time %q of %v: %v", s, e, err)
	}
	return ts
}

// spanField is a field of the Rust tracing span a child line was logged in.
func spanField(e map[string]any, k string) string {
	sp, _ := e["span"].(map[string]any)
	s, _ := sp[k].(string)
	return s
}

func num(e map[string]any, k string) float64 {
	f, _ := e[k].(float64)
	return f
}
