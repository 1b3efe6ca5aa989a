package partition

import "testing"

var all3 = []string{"traces", "metrics", "logs"}

// testGoInfos mirrors the distribution's Go factories (cmd/otelcol-hybrid).
func testGoInfos() []ComponentInfo {
	return []ComponentInfo{
		{Kind: Receiver, Type: "otlp", Signals: []string{"traces", "metrics", "logs", "profiles"}},
		{Kind: Exporter, Type: "otlp", Signals: []string{"traces", "metrics", "logs", "profiles"}},
		{Kind: Exporter, Type: "otlp_grpc", Signals: []string{"traces", "metrics", "logs", "profiles"}},
		{Kind: Exporter, Type: "otlp_http", Signals: []string{"traces", "metrics", "logs", "profiles"}},
		{Kind: Exporter, Type: "debug", Signals: []string{"traces", "metrics", "logs", "profiles"}},
		{Kind: Processor, Type: "batch", Signals: []string{"traces", "metrics", "logs", "profiles"}},
		{Kind: Processor, Type: "memory_limiter", Signals: []string{"traces", "metrics", "logs", "profiles"}},
		{Kind: Connector, Type: "forward", Signals: all3},
		{Kind: Extension, Type: "zpages"},
		// The in-process bridge ends of an embedded build.
		{Kind: Exporter, Type: "ffi_bridge", Signals: all3},
		{Kind: Receiver, Type: "ffi_bridge", Signals: all3},
	}
}

// testRustInfos mirrors `otelcol-rust components` (docs/interfaces.md).
func testRustInfos() []ComponentInfo {
	return []ComponentInfo{
		{Kind: Receiver, Type: "otlp", Signals: all3},
		{Kind: Processor, Type: "advanced_filter", Signals: all3},
		{Kind: Processor, Type: "fault", Signals: all3},
		{Kind: Exporter, Type: "otlp_rust", Signals: all3},
		{Kind: Exporter, Type: "debug", Signals: all3},
		{Kind: Exporter, Type: "file", Signals: all3},
	}
}

func testCatalog(t testing.TB) *Catalog {
	t.Helper()
	cat, err := NewCatalog(testGoInfos(), testRustInfos())
	if err != nil {
		t.Fatalf("NewCatalog: %v", err)
	}
	return cat
}

const testSocketDir = "/run/oh"

func testOptions() Options { return Options{SocketDir: testSocketDir, GOOS: "linux"} }
