package bridgectxext

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"sync"

	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/extension/extensionauth"
	"google.golang.org/grpc/credentials"
)

// SecretHeader carries the bridge secret on every bridge and health request,
// in both directions. The Rust half checks and strips the same key
// (otelcol_core::auth::SECRET_HEADER).
const SecretHeader = "x-otelcol-hybrid-secret"

// secretBytes is the entropy of the secret: 32 bytes, 256 bits.
const secretBytes = 32

// Secret is this process's bridge secret: 32 random bytes, hex encoded (a
// header value), made on first use and the same for the process's life, so
// a restarted child gets the value the Go bridge ends already hold. The
// child receives it on its stdin (supervisor.Config.Secret), never in argv
// or the environment, which other local users may read.
var Secret = sync.OnceValue(func() string {
	b := make([]byte, secretBytes)
	_, _ = rand.Read(b) // never fails (crypto/rand: a failing source is fatal)
	return hex.EncodeToString(b)
})

// ErrNoSecret is the refusal of a bridge request without the right secret;
// the gRPC server turns it into codes.Unauthenticated.
var ErrNoSecret = errors.New("this listener is private to otelcol-hybrid")

// SecretCredentials sends header: secret on every call of a connection. It is
// the whole outgoing side: one static entry, no per-call allocation, and it
// works over unix sockets and loopback TCP without TLS.
func SecretCredentials(header, secret string) credentials.PerRPCCredentials {
	return secretCreds{md: map[string]string{header: secret}}
}

type secretCreds struct{ md map[string]string }

// GetRequestMetadata returns the same map every time: gRPC only reads it.
func (c secretCreds) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return c.md, nil
}

// RequireTransportSecurity is false: the bridges are unix sockets in a 0700
// directory or loopback TCP, and the secret is what authenticates them.
func (secretCreds) RequireTransportSecurity() bool { return false }

var _ extensionauth.Server = (*middleware)(nil)

// Authenticate is the Go bridge receivers' check (`auth: {authenticator:
// bridge_context}`): exactly one value, equal to Secret in constant time.
// The secret is then taken out of the request's client metadata, so no
// pipeline can forward or log it (the bridge receivers include metadata).
func (m *middleware) Authenticate(ctx context.Context, headers map[string][]string) (context.Context, error) {
	if !secretMatches(m.secret(), headers[SecretHeader]) {
		return ctx, ErrNoSecret
	}
	info := client.FromContext(ctx)
	kept := map[string][]string{}
	found := false
	for k := range info.Metadata.Keys() {
		if k == SecretHeader {
			found = true
			continue
		}
		kept[k] = info.Metadata.Get(k)
	}
	if found {
		info.Metadata = client.NewMetadata(kept)
		ctx = client.NewContext(ctx, info)
	}
	return ctx, nil
}

func secretMatches(want string, got []string) bool {
	if len(got) != 1 { // none, or several: which one would count?
		return false
	}
	return subtle.ConstantTimeCompare([]byte(got[0]), []byte(want)) == 1
}
