package supervisor

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// healthClient speaks grpc.health.v1 to one child incarnation. It is bound
// to that child's PID, so a new client is made for every restart.
type healthClient struct {
	conn     *grpc.ClientConn
	api      healthpb.HealthClient
	rejected atomic.Pointer[error] // last peer-credential refusal
}

func newHealthClient(ep endpoint, childPID int) (*healthClient, error) {
	h := &healthClient{}
	reject := func(err error) { h.rejected.Store(&err) }
	var creds []grpc.DialOption
	if ep.secret != nil {
		creds = append(creds, grpc.WithPerRPCCredentials(ep.secret))
	}
	conn, err := grpc.NewClient("passthrough:///"+ep.address, append(creds,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(healthDialer(ep, childPID, reject)),
		grpc.WithAuthority("localhost"),
		// The child is local: reconnect quickly instead of gRPC's default
		// 1s..120s backoff, or readiness and recovery would lag by minutes.
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 20 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: time.Second},
			MinConnectTimeout: time.Second,
		}),
	)...)
	if err != nil {
		return nil, fmt.Errorf("supervisor: health client: %w", err)
	}
	h.conn = conn
	h.api = healthpb.NewHealthClient(conn)
	return h, nil
}

func (h *healthClient) close() { _ = h.conn.Close() }

// secretCreds sends Config.Secret on every call of the connection.
type secretCreds map[string]string

// GetRequestMetadata returns the same map every time: gRPC only reads it.
func (c secretCreds) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return c, nil
}

// RequireTransportSecurity is false: the secret is what authenticates a
// unix socket or loopback TCP connection, which has no TLS.
func (secretCreds) RequireTransportSecurity() bool { return false }

// peerRejected returns the peer-credential refusal, if any happened.
func (h *healthClient) peerRejected() error {
	if p := h.rejected.Load(); p != nil {
		return *p
	}
	return nil
}

// check returns nil only if the overall service "" answers SERVING.
func (h *healthClient) check(ctx context.Context, timeout time.Duration) error {
	if h.conn.GetState() == connectivity.TransientFailure {
		h.conn.ResetConnectBackoff()
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp, err := h.api.Check(ctx, &healthpb.HealthCheckRequest{Service: ""})
	if err != nil {
		if rej := h.peerRejected(); rej != nil {
			return rej
		}
		return fmt.Errorf("health check: %s", status.Convert(err).Message())
	}
	if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		return fmt.Errorf("health check: status %s", resp.GetStatus())
	}
	return nil
}

// watch streams status changes of "" to onChange until ctx ends. A server
// without Watch just leaves the periodic probe in charge.
func (h *healthClient) watch(ctx context.Context, retry time.Duration, onChange func(serving bool)) {
	for ctx.Err() == nil {
		err := h.watchOnce(ctx, onChange)
		if status.Code(err) == codes.Unimplemented {
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(retry):
		}
	}
}

func (h *healthClient) watchOnce(ctx context.Context, onChange func(serving bool)) error {
	stream, err := h.api.Watch(ctx, &healthpb.HealthCheckRequest{Service: ""})
	if err != nil {
		return err
	}
	for {
		resp, err := stream.Recv()
		if err != nil {
			return err
		}
		onChange(resp.GetStatus() == healthpb.HealthCheckResponse_SERVING)
	}
}
