//go:build !linux

package extract

import (
	"fmt"
	"runtime"
)

// placeMemfd: sealed memfds are Linux-only; other systems use the disk cache.
func placeMemfd(a Artifact, blob []byte, opts *Options) (*Exe, error) {
	return nil, fmt.Errorf("memfd: not available on %s", runtime.GOOS)
}
