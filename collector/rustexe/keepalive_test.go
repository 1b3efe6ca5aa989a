package rustexe

import (
	"context"
	"os"
	"runtime"
	"testing"

	"github.com/otelcol-hybrid/otelcol-hybrid/extract"
)

// The extraction Get returns must stay usable for the life of the process:
// every restart of the child execs the same path. A memfd path names an fd
// that only the extraction's *os.File keeps open; once that file is
// unreachable, the garbage collector's finalizer closes it.
func TestExtractionOutlivesGarbageCollection(t *testing.T) {
	t.Setenv(ExtractEnv, "memfd")
	exe, err := Get(context.Background(), Options{Mode: extract.ModeMemfd})
	if err != nil {
		t.Skipf("no embedded otelcol-rust: %v", err)
	}
	runtime.GC()
	runtime.GC()
	if _, err := os.Stat(exe.Path); err != nil {
		t.Fatalf("%s after a garbage collection: %v", exe.Path, err)
	}
}
