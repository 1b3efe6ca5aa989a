# The Rust `jaeger` receiver against the contrib Go jaegerreceiver and real
# Jaeger clients. e2e/jaegerpeer is its own Go module (contrib jaegerreceiver,
# jaeger-idl, Apache Thrift and the OpenTelemetry Go SDK's Jaeger exporter
# stay out of the product's go.mod).
#   make test-jaeger   differential (same Jaeger batches over gRPC, Thrift
#                      HTTP, compact and binary UDP → identical OTLP from
#                      both receivers) and hostile input, against the
#                      workspace's otelcol-rust (test-rust built it: no new
#                      Rust build)
# The design distribution's tests (real clients through Rust jaeger → Rust
# advanced_filter → Go batch → Go otlp, and the design's config over OTAP)
# run in test-builder, which builds that distribution.

JAEGER_TEST_BIN := $(ROOT)/rust/target/debug/otelcol-rust

.PHONY: test-jaeger

test-jaeger:
	cd rust && nice cargo build --locked -p otelcol-rust
	cd e2e/jaegerpeer && go vet ./... && \
	  E2E_REQUIRED=1 OTELCOL_RUST_BIN=$(JAEGER_TEST_BIN) go test -count=1 -timeout 5m \
	    -run 'TestSameBatchesSameOTLPAsTheContribReceiver|TestHostileInputIsRefusedOrDroppedAndTheReceiverKeepsServing' ./...
