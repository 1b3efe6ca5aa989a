// Package jaegerpeer tests the Rust `jaeger` receiver against the Go one and
// against real Jaeger clients. It is its own module so that the contrib
// jaegerreceiver, jaeger-idl, Apache Thrift and the (deprecated) OpenTelemetry
// Go Jaeger exporter stay out of the product's go.mod.
//
//   - differential_test.go: the same Jaeger batches, over each protocol, to
//     the contrib jaegerreceiver v0.162.0 in-process and to otelcol-rust's
//     jaeger receiver; the OTLP each delivers must be identical.
//   - pipeline_test.go: real clients (the OpenTelemetry Go SDK's Jaeger
//     exporter over Thrift HTTP and the UDP agent, jaeger-idl's api_v2 gRPC
//     client) through otelcol-hybrid: Rust jaeger → Rust advanced_filter →
//     Go batch → Go otlp exporter, and the backend counts every span.
//   - hostile_test.go: malformed and oversized input is refused or dropped
//     and the collector keeps serving.
package jaegerpeer
