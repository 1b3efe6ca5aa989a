// Package ffibridgereceiver is the ffi_bridge receiver of an embedded
// build: the Go end of a Rust → Go crossing. The Rust ffi_bridge exporter of
// the same name calls it in-process with an encoded OTLP request and its
// context; it decodes the request, passes it down the Go pipeline with that
// context and answers with the pipeline's result. It exists only in builds
// with cgo and the otelcol_embedded tag.
package ffibridgereceiver
