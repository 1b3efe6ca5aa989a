package jaegerpeer

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/apache/thrift/lib/go/thrift"
	"github.com/jaegertracing/jaeger-idl/model/v1"
	"github.com/jaegertracing/jaeger-idl/proto-gen/api_v2"
	"github.com/jaegertracing/jaeger-idl/thrift-gen/agent"
	"github.com/jaegertracing/jaeger-idl/thrift-gen/jaeger"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// PostThrift sends b to a collector's /api/traces as Thrift binary and
// returns the HTTP status.
func PostThrift(endpoint string, b *jaeger.Batch) (int, error) {
	body, err := thrift.NewTSerializer().Write(context.Background(), b)
	if err != nil {
		return 0, err
	}
	return PostRaw(endpoint, "application/x-thrift", body)
}

// PostRaw posts any body to /api/traces.
func PostRaw(endpoint, contentType string, body []byte) (int, error) {
	resp, err := http.Post("http://"+endpoint+"/api/traces", contentType, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

// EmitBatch sends b as one agent datagram (emitBatch) in the compact or
// binary protocol, the way jaeger clients talk to an agent.
func EmitBatch(endpoint string, compact bool, b *jaeger.Batch) error {
	buf := thrift.NewTMemoryBufferLen(65000)
	var pf thrift.TProtocolFactory = thrift.NewTBinaryProtocolFactoryConf(nil)
	if compact {
		pf = thrift.NewTCompactProtocolFactoryConf(nil)
	}
	client := agent.NewAgentClientFactory(buf, pf)
	if err := client.EmitBatch(context.Background(), b); err != nil {
		return err
	}
	return SendUDP(endpoint, buf.Bytes())
}

// SendUDP sends one datagram.
func SendUDP(endpoint string, packet []byte) error {
	conn, err := net.Dial("udp", endpoint)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	_, err = conn.Write(packet)
	return err
}

// PostSpans sends b over Jaeger gRPC (api_v2 CollectorService).
func PostSpans(endpoint string, b *model.Batch) error {
	conn, err := grpc.NewClient(endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := api_v2.NewCollectorServiceClient(conn).PostSpans(ctx, &api_v2.PostSpansRequest{Batch: *b}); err != nil {
		return fmt.Errorf("PostSpans: %w", err)
	}
	return nil
}
