package bridgectxext

import (
	"context"
	"testing"

	"go.opentelemetry.io/collector/client"
	"google.golang.org/grpc/metadata"
)

// An OTLP/HTTP receiver with include_metadata puts the request's HTTP headers
// into client.Metadata; the framing ones must not reach the bridge's gRPC
// stream (a content-length there made the Rust h2 server reset every stream).
func TestHTTPFramingHeadersAreNotForwarded(t *testing.T) {
	ctx := client.NewContext(context.Background(), client.Info{Metadata: client.NewMetadata(map[string][]string{
		"Content-Length":    {"35"},
		"Content-Encoding":  {"gzip"},
		"Transfer-Encoding": {"chunked"},
		"Content-Type":      {"application/x-protobuf"},
		"Connection":        {"keep-alive"},
		"Keep-Alive":        {"timeout=5"},
		"Host":              {"collector.example:4318"},
		"X-Tenant":          {"acme"},
	})})
	md, _ := metadata.FromOutgoingContext(Outgoing(ctx))
	for _, k := range []string{"content-length", "content-encoding", "transfer-encoding", "content-type", "connection", "keep-alive", "host"} {
		if v := md.Get(k); len(v) != 0 {
			t.Errorf("%s forwarded: %q", k, v)
		}
	}
	if v := md.Get("x-tenant"); len(v) != 1 || v[0] != "acme" {
		t.Errorf("x-tenant: %q", v)
	}
}
