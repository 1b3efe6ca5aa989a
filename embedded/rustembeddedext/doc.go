// Package rustembeddedext is the rust_embedded extension of an embedded
// build: it runs the Rust half of a partitioned config inside this process
// through the linked Rust library, where the rust_subprocess extension runs
// it as a supervised child. Extensions start before and stop after every
// pipeline component, so the Rust half runs before a Go ffi_bridge exporter
// sends and stops only after those exporters drained. It exists only in
// builds with cgo and the otelcol_embedded tag.
package rustembeddedext
