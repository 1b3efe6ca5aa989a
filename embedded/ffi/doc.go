// Package ffi is the Go half of the in-process bridge to the Rust collector
// linked into an embedded build (rust/otelcol-ffi, a static library with a
// C ABI). It is built only with cgo and the otelcol_embedded build tag; in
// any other build it is empty and nothing links the Rust library.
//
// Every call crosses as plain data: the encoded OTLP request (Rust copies
// it before the call returns) and a context-transfer struct that Go
// allocates in C memory and frees itself. No Go pointer is kept by Rust:
// requests are named by ids, and their results come back through exported
// Go callbacks that look those ids up.
//
// Calls are asynchronous: Consume blocks only its goroutine, on a channel
// the completion callback fills; no thread waits in Rust. Cancellation is
// immediate: the goroutine waiting for the result also selects on the
// context's Done, and fires the request's Rust CancellationToken when it
// closes first.
package ffi
