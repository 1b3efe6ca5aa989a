//go:build cgo

package mode

// CgoEnabled reports whether this binary was built with cgo.
const CgoEnabled = true
