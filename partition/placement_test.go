package partition

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestOTLPReceiverForRust: what the Rust otlp receiver is given for each Go
// otlp receiver setting, or the setting that keeps the receiver in Go.
func TestOTLPReceiverForRust(t *testing.T) {
	grpcDefault := "grpc: {endpoint: localhost:4317, max_recv_msg_size_mib: 4, include_metadata: false}"
	httpDefault := "http: {endpoint: localhost:4318, include_metadata: false, traces_url_path: /v1/traces, metrics_url_path: /v1/metrics, logs_url_path: /v1/logs}"
	cases := []struct {
		name, in string
		want     string // the Rust config, when it qualifies
		refused  string // the setting named, when it does not
	}{
		{"grpc null", "protocols: {grpc: }", "protocols: {" + grpcDefault + "}", ""},
		{"both empty", "protocols: {grpc: {}, http: {}}", "protocols: {" + grpcDefault + ", " + httpDefault + "}", ""},
		{"http only", "protocols: {http: }", "protocols: {" + httpDefault + "}", ""},
		{"grpc settings", "protocols: {grpc: {endpoint: '[::1]:9000', transport: tcp, max_recv_msg_size_mib: 32, include_metadata: true}}",
			"protocols: {grpc: {endpoint: '[::1]:9000', max_recv_msg_size_mib: 32, include_metadata: true}}", ""},
		{"zero max recv means grpc-go's 4 MiB", "protocols: {grpc: {max_recv_msg_size_mib: 0}}", "protocols: {" + grpcDefault + "}", ""},
		{"paths sanitized as Go does", "protocols: {http: {traces_url_path: t, metrics_url_path: '/m?x=1', logs_url_path: /l}}",
			"protocols: {http: {endpoint: localhost:4318, include_metadata: false, traces_url_path: /t, metrics_url_path: /m, logs_url_path: /l}}", ""},
		{"grpc tls", "protocols: {grpc: {tls: {insecure: true}}}", "", "protocols.grpc.tls"},
		{"grpc keepalive", "protocols: {grpc: {keepalive: }}", "", "protocols.grpc.keepalive"},
		{"grpc read buffer", "protocols: {grpc: {read_buffer_size: 1024}}", "", "protocols.grpc.read_buffer_size"},
		{"grpc streams", "protocols: {grpc: {max_concurrent_streams: 4}}", "", "protocols.grpc.max_concurrent_streams"},
		{"grpc auth", "protocols: {grpc: {auth: {authenticator: basicauth}}}", "", "protocols.grpc.auth"},
		{"grpc unix", "protocols: {grpc: {endpoint: /tmp/s, transport: unix}}", "", "protocols.grpc.transport unix"},
		{"grpc tcp4", "protocols: {grpc: {transport: tcp4}}", "", "protocols.grpc.transport tcp4"},
		{"every interface", "protocols: {grpc: {endpoint: ':4317'}}", "", "protocols.grpc.endpoint :4317"},
		{"no port", "protocols: {grpc: {endpoint: localhost}}", "", "protocols.grpc.endpoint localhost"},
		{"huge message", "protocols: {grpc: {max_recv_msg_size_mib: 5000}}", "", "protocols.grpc.max_recv_msg_size_mib 5000"},
		{"http cors", "protocols: {grpc: , http: {cors: {allowed_origins: ['*']}}}", "", "protocols.http.cors"},
		{"http compression", "protocols: {http: {compression_algorithms: [gzip]}}", "", "protocols.http.compression_algorithms"},
		{"http body size", "protocols: {http: {max_request_body_size: 10}}", "", "protocols.http.max_request_body_size"},
		{"http tls", "protocols: {http: {tls: }}", "", "protocols.http.tls"},
		{"include_metadata not bool", "protocols: {http: {include_metadata: yes please}}", "", "protocols.http.include_metadata"},
		{"unknown protocol", "protocols: {grpc: , kafka: }", "", "protocols.kafka"},
		{"unknown top-level key", "protocols: {grpc: }\nextra: 1", "", "extra"},
		{"no protocols", "protocols: {}", "", "a config without protocols"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var in map[string]any
			if err := yaml.Unmarshal([]byte(c.in), &in); err != nil {
				t.Fatal(err)
			}
			got, refused := otlpReceiverForRust(in)
			if c.refused != "" {
				if got != nil || !strings.HasPrefix(refused, c.refused) {
					t.Fatalf("got %v, refused %q; want refused %q", got, refused, c.refused)
				}
				return
			}
			var want map[string]any
			if err := yaml.Unmarshal([]byte(c.want), &want); err != nil {
				t.Fatal(err)
			}
			if refused != "" || !equalConfigs(got, want) {
				t.Fatalf("got %v (refused %q)\nwant %v", got, refused, want)
			}
		})
	}
}

// TestPlacementLines: the partition subcommand and the start-up log print
// these lines; each names the receiver and the reason on one line.
func TestPlacementLines(t *testing.T) {
	cat := testCatalog(t)
	var user map[string]any
	if err := yaml.Unmarshal([]byte(`
receivers:
  otlp: {protocols: {grpc: , http: }}
  otlp/tls: {protocols: {grpc: {tls: {insecure: true}}}}
  "otlp/édge": {protocols: {grpc: }}
processors: {advanced_filter: , batch: }
exporters: {otlp_rust: {endpoint: "b:1"}}
service:
  pipelines:
    metrics/filtered: {receivers: [otlp, otlp/tls], processors: [advanced_filter], exporters: [otlp_rust]}
    logs: {receivers: ["otlp/édge"], processors: [batch, advanced_filter], exporters: [otlp_rust]}
`), &user); err != nil {
		t.Fatal(err)
	}
	res, err := Partition(user, cat, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range res.Placements {
		got = append(got, p.String())
	}
	want := []string{
		`receiver otlp runs in the Rust half: every pipeline after it is Rust (metrics/filtered), no bridge`,
		`receiver otlp/tls stays in Go: protocols.grpc.tls is not implemented by the Rust otlp receiver`,
		`receiver "otlp/édge" stays in Go: pipeline logs continues with Go processor batch`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The two receivers that stay feed one bridge each; the placed one none.
	if len(res.Bridges) != 2 {
		t.Fatalf("got %d bridges, want 2: %+v", len(res.Bridges), res.Bridges)
	}
}
