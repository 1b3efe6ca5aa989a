// Package ffibridgeexporter is the ffi_bridge exporter of an embedded
// build: the Go end of a Go → Rust crossing. It hands each request, encoded
// as OTLP protobuf, to the Rust ffi_bridge receiver of the same name in
// this process and returns the Rust pipeline's result, as the OTLP/gRPC
// bridge exporter does over a socket in subprocess mode. It exists only in
// builds with cgo and the otelcol_embedded tag.
package ffibridgeexporter
