# The Rust `otap` exporter against the otel-arrow project's own Go decoder.
# e2e/otappeer is its own Go module (otel-arrow/go v0.46.0 and its arrow-go
# stay out of the product's go.mod).
#   make test-otap    interop (every metric type, spans, logs, attributes:
#                     Arrow == plain OTLP after decoding) and failure paths
#   make bench-otap   one JSON line: otap_vs_otlp_wire_bytes (target <= 0.7)
#                     and CPU per item, otap and otlp_rust side by side
# Both use the workspace's otelcol-rust, which links every component crate:
# test-rust has already built the debug one, so test-otap adds no Rust build.

OTAP_TEST_BIN  := $(ROOT)/rust/target/debug/otelcol-rust
OTAP_BENCH_BIN := $(ROOT)/rust/target/release/otelcol-rust

.PHONY: test-otap bench-otap

test-otap:
	cd rust && nice cargo build --locked -p otelcol-rust
	cd e2e/otappeer && go vet ./... && \
	  E2E_REQUIRED=1 OTELCOL_RUST_BIN=$(OTAP_TEST_BIN) go test -count=1 -timeout 10m ./...

bench-otap:
	cd rust && nice cargo build --locked --release -p otelcol-rust
	@mkdir -p $(ROOT)/bench/results
	cd e2e/otappeer && nice go run ./cmd/otapbench -bin $(OTAP_BENCH_BIN) | tee $(ROOT)/bench/results/otap.json
