package partition

import (
	"fmt"
	"math"
	"net"
	"net/url"
	"path"
	"slices"
	"strconv"
)

// The Go otlpreceiver settings (v0.162) the Rust otlp receiver implements
// with the same meaning. Every other key, even one set to null, keeps the
// receiver in Go: "identical" is only claimed for what is listed here.
var (
	otlpGRPCKeys = []string{"endpoint", "transport", "max_recv_msg_size_mib", "include_metadata"}
	otlpHTTPKeys = []string{"endpoint", "transport", "include_metadata", "traces_url_path", "metrics_url_path", "logs_url_path"}
)

// The Go otlpreceiver's defaults, written out in full into the Rust half so
// that it never depends on the Rust receiver's own defaults: the Rust
// receiver's max_recv_msg_size_mib defaults to the bridge size (64), not to
// grpc-go's 4 MiB.
const (
	otlpGRPCDefaultEndpoint   = "localhost:4317"
	otlpHTTPDefaultEndpoint   = "localhost:4318"
	otlpGRPCDefaultMaxRecvMiB = 4 // grpc-go's limit when configgrpc sets none
	rustOTLPMaxRecvMiB        = 4096
)

var otlpDefaultPaths = map[string]string{
	"traces_url_path": "/v1/traces", "metrics_url_path": "/v1/metrics", "logs_url_path": "/v1/logs",
}

// otlpReceiverForRust translates a Go otlp receiver's settings into the Rust
// otlp receiver's form: protocols.grpc{endpoint, max_recv_msg_size_mib,
// include_metadata} and protocols.http{endpoint, include_metadata,
// traces_url_path, metrics_url_path, logs_url_path}, each only when the user
// enabled that protocol.
func otlpReceiverForRust(cfg any) (map[string]any, string) {
	m, ok := cfg.(map[string]any)
	if !ok || m == nil {
		return nil, "a config without protocols"
	}
	if k := firstKeyOutside(m, []string{"protocols"}); k != "" {
		return nil, k
	}
	protos, ok := m["protocols"].(map[string]any)
	if !ok || len(protos) == 0 {
		return nil, "a config without protocols"
	}
	if k := firstKeyOutside(protos, []string{"grpc", "http"}); k != "" {
		return nil, "protocols." + k
	}
	out := map[string]any{}
	if v, on := protos["grpc"]; on {
		g, bad := otlpGRPCForRust(v)
		if bad != "" {
			return nil, "protocols.grpc" + bad
		}
		out["grpc"] = g
	}
	if v, on := protos["http"]; on {
		h, bad := otlpHTTPForRust(v)
		if bad != "" {
			return nil, "protocols.http" + bad
		}
		out["http"] = h
	}
	return map[string]any{"protocols": out}, ""
}

// otlpGRPCForRust returns the Rust grpc section or ".<setting> <why>".
func otlpGRPCForRust(v any) (map[string]any, string) {
	m, bad := protocolSection(v, otlpGRPCKeys)
	if bad != "" {
		return nil, bad
	}
	out := map[string]any{"endpoint": otlpGRPCDefaultEndpoint, "max_recv_msg_size_mib": otlpGRPCDefaultMaxRecvMiB, "include_metadata": false}
	if bad := commonNetSettings(m, out); bad != "" {
		return nil, bad
	}
	if v, set := m["max_recv_msg_size_mib"]; set {
		n, ok := wholeNumber(v)
		switch {
		case !ok:
			return nil, fmt.Sprintf(".max_recv_msg_size_mib %s", q(fmt.Sprint(v)))
		case n > rustOTLPMaxRecvMiB:
			return nil, fmt.Sprintf(".max_recv_msg_size_mib %d (above %d)", n, rustOTLPMaxRecvMiB)
		case n > 0: // 0 or less: configgrpc sets no limit, grpc-go's default applies
			out["max_recv_msg_size_mib"] = int(n)
		}
	}
	return out, ""
}

// otlpHTTPForRust returns the Rust http section or ".<setting> <why>".
func otlpHTTPForRust(v any) (map[string]any, string) {
	m, bad := protocolSection(v, otlpHTTPKeys)
	if bad != "" {
		return nil, bad
	}
	out := map[string]any{"endpoint": otlpHTTPDefaultEndpoint, "include_metadata": false}
	for k, d := range otlpDefaultPaths {
		out[k] = d
	}
	if bad := commonNetSettings(m, out); bad != "" {
		return nil, bad
	}
	for k := range otlpDefaultPaths {
		v, set := m[k]
		if !set || v == nil {
			continue
		}
		s, ok := v.(string)
		p, err := sanitizedURLPath(s)
		if !ok || err != nil {
			return nil, fmt.Sprintf(".%s %s", k, q(fmt.Sprint(v)))
		}
		out[k] = p
	}
	return out, ""
}

// protocolSection accepts "grpc:" (null: defaults) or a mapping using only allowed keys.
func protocolSection(v any, allowed []string) (map[string]any, string) {
	if v == nil {
		return map[string]any{}, ""
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, " " + describe(v)
	}
	if k := firstKeyOutside(m, allowed); k != "" {
		return nil, "." + k
	}
	return m, ""
}

// commonNetSettings reads endpoint, transport and include_metadata into out.
func commonNetSettings(m, out map[string]any) string {
	if v, set := m["transport"]; set && v != "tcp" {
		return fmt.Sprintf(".transport %s", q(fmt.Sprint(v)))
	}
	if v, set := m["endpoint"]; set {
		s, ok := v.(string)
		if !ok || !isHostPort(s) {
			return fmt.Sprintf(".endpoint %s", q(fmt.Sprint(v)))
		}
		out["endpoint"] = s
	}
	if v, set := m["include_metadata"]; set {
		b, ok := v.(bool)
		if !ok {
			return fmt.Sprintf(".include_metadata %s", q(fmt.Sprint(v)))
		}
		out["include_metadata"] = b
	}
	return ""
}

// isHostPort accepts what both listeners bind the same way: a non-empty host
// (name or IP) and a numeric port. An empty host (":4317") means every
// interface, dual-stack, to Go; the Rust listener does not resolve it.
func isHostPort(s string) bool {
	host, port, err := net.SplitHostPort(s)
	if err != nil || host == "" {
		return false
	}
	n, err := strconv.ParseUint(port, 10, 16)
	return err == nil && n <= math.MaxUint16
}

// sanitizedURLPath is otlpreceiver.SanitizedURLPath: the path of the URL,
// made absolute.
func sanitizedURLPath(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", err
	}
	if !path.IsAbs(u.Path) {
		u.Path = "/" + u.Path
	}
	return u.Path, nil
}

// wholeNumber reads the integer kinds confmap and YAML produce.
func wholeNumber(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int64:
		return n, true
	case int32:
		return int64(n), true
	case uint64:
		if n > math.MaxInt64 {
			return 0, false
		}
		return int64(n), true
	case uint32:
		return int64(n), true
	case float64:
		if n != math.Trunc(n) || math.Abs(n) > 1<<53 {
			return 0, false
		}
		return int64(n), true
	}
	return 0, false
}

// firstKeyOutside is the first key (sorted) of m not in allowed, or "".
func firstKeyOutside(m map[string]any, allowed []string) string {
	for _, k := range sortedKeys(m) {
		if !slices.Contains(allowed, k) {
			return k
		}
	}
	return ""
}
