// Package startupgc lets the collector build itself under a lazier garbage
// collector. Package initialisation and building the pipelines allocate tens
// of MB, nearly all of it still live once the collector runs, so collecting
// at every doubling of the small start-up heap (GOGC=100) is work for
// nothing: about 5 ms of a 30 ms start on 2 CPUs. From this package's
// initialisation (early: it depends only on the standard library) until Done,
// the GC percent is StartupPercent; then it is what it was, the Go default.
// An operator who set GOGC or GOMEMLIMIT keeps exactly that.
package startupgc

import (
	"os"
	"runtime/debug"
	"sync"
	"time"
)

// StartupPercent is the GC percent while the collector starts.
const StartupPercent = 400

// Fallback ends the start-up setting even if Done is never called (a start
// that never completes, or a log level that hides the ready line).
const Fallback = 10 * time.Second

var (
	once    sync.Once
	restore func() // nil when the operator's settings apply from the start
)

func init() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	prev := debug.SetGCPercent(StartupPercent)
	restore = func() { debug.SetGCPercent(prev) }
	time.AfterFunc(Fallback, Done)
}

// Done ends the start-up setting; calls after the first do nothing.
func Done() {
	once.Do(func() {
		if restore != nil {
			restore()
		}
	})
}
