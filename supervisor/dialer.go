package supervisor

import (
	"context"
	"net"
)

// healthDialer connects to the health endpoint and, for unix sockets, refuses
// a peer that is not our child (see verifyPeer), so a stale or hijacked socket
// can never make a dead child look ready. Refusals are also passed to
// onReject, since gRPC turns dial errors into retries.
func healthDialer(ep endpoint, wantPID int, onReject func(error)) func(context.Context, string) (net.Conn, error) {
	return func(ctx context.Context, _ string) (net.Conn, error) {
		var d net.Dialer
		conn, err := d.DialContext(ctx, ep.network, ep.address)
		if err != nil {
			return nil, err
		}
		if ep.network == "unix" {
			if err := verifyPeer(conn, ep.address, wantPID); err != nil {
				_ = conn.Close()
				onReject(err)
				return nil, err
			}
		}
		return conn, nil
	}
}
