package partition

import (
	"reflect"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestGoMadeNamesTheBridgeEndsAndNotTheUsersComponents: Result.GoMade lists
// the Go ends of both crossings and the bridge processor, in either mode,
// but never a component the user wrote — not the user's own
// otlp_grpc/bridge_1 (the bridges then start at bridge_2), nor a
// bridge_cancel the user configured.
func TestGoMadeNamesTheBridgeEndsAndNotTheUsersComponents(t *testing.T) {
	var user map[string]any
	if err := yaml.Unmarshal([]byte(`
receivers: {otlp: }
processors: {advanced_filter/x: }
exporters: {otlp_grpc/bridge_1: {endpoint: "127.0.0.1:4317"}}
service: {pipelines: {metrics: {receivers: [otlp], processors: [advanced_filter/x], exporters: [otlp_grpc/bridge_1]}}}`), &user); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		inProcess bool
		userProc  bool
		want      map[Kind][]string
	}{
		{"subprocess", false, false, map[Kind][]string{
			Exporter: {"otlp_grpc/bridge_2"}, Receiver: {"otlp/bridge_3"}, Processor: {"bridge_cancel"}}},
		{"embedded", true, false, map[Kind][]string{
			Exporter: {"ffi_bridge/bridge_2"}, Receiver: {"ffi_bridge/bridge_3"}, Processor: {"bridge_cancel"}}},
		{"user's bridge_cancel", false, true, map[Kind][]string{
			Exporter: {"otlp_grpc/bridge_2"}, Receiver: {"otlp/bridge_3"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := deepCopy(user).(map[string]any)
			if tc.userProc {
				u["processors"].(map[string]any)["bridge_cancel"] = nil
			}
			cat := testCatalog(t)
			if tc.userProc {
				var err error
				if cat, err = NewCatalog(append(testGoInfos(), ComponentInfo{Kind: Processor, Type: "bridge_cancel", Signals: all3}), testRustInfos()); err != nil {
					t.Fatal(err)
				}
			}
			opts := testOptions()
			opts.InProcess = tc.inProcess
			opts.KeepReceiversInGo = true
			opts.GoBridgeProcessor = "bridge_cancel"
			res, err := Partition(u, cat, opts)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(res.GoMade, tc.want) {
				t.Errorf("GoMade = %v, want %v", res.GoMade, tc.want)
			}
		})
	}
}
