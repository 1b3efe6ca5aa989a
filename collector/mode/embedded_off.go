//go:build !cgo || !otelcol_embedded

package mode

// EmbeddedLinked reports whether this binary links the Rust components
// in-process (built with cgo and the otelcol_embedded tag).
const EmbeddedLinked = false
