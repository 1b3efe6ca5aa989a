//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd)

package extract

import (
	"context"
	"fmt"
	"runtime"
)

// placeDisk: the cache relies on flock and POSIX ownership checks, which
// this system does not offer; the package compiles but cannot place files.
func placeDisk(ctx context.Context, a Artifact, blob []byte, dir string, opts *Options) (*Exe, error) {
	return nil, fmt.Errorf("disk cache not supported on %s", runtime.GOOS)
}
