//go:build cgo && otelcol_embedded

package ffi

/*
#cgo CFLAGS: -I${SRCDIR}/../../rust/otelcol-ffi/include
// One relocatable object made of the whole static library (`make ffi`:
// ld -r --whole-archive). The Rust components register themselves in
// linkme sections that nothing references by symbol, so linking the .a
// itself would drop them, and cgo does not allow --whole-archive here.
// scripts/build-embedded.sh writes one per architecture.
#cgo amd64 LDFLAGS: ${SRCDIR}/../../build/ffi/otelcol_ffi.o
#cgo arm64 LDFLAGS: ${SRCDIR}/../../build/ffi/linux_arm64/otelcol_ffi.o
#cgo LDFLAGS: -ldl -lm -lpthread
#include <stdlib.h>
#include "otelcol_ffi.h"

// The exported Go callbacks (callbacks.go), as C sees them.
extern void otelcolGoComplete(uint64_t call_id, const OtelcolError *err);
extern void otelcolGoExport(const uint8_t *bridge, size_t bridge_len, uint8_t signal,
	const uint8_t *data, size_t data_len, const OtelcolContext *ctx, uint64_t call_id);
extern void otelcolGoCancelExport(uint64_t call_id);
extern void otelcolGoLog(const uint8_t *line, size_t len);

static int32_t otelcol_go_init(void) {
	OtelcolCallbacks cbs = {
		.complete = otelcolGoComplete,
		.export_ = otelcolGoExport,
		.cancel_export = otelcolGoCancelExport,
		.log = otelcolGoLog,
	};
	return otelcol_ffi_init(&cbs);
}
*/
import "C"

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"unsafe"
)

// Signal numbers as the C ABI has them.
const (
	SignalTraces  Signal = C.OTELCOL_SIGNAL_TRACES
	SignalMetrics Signal = C.OTELCOL_SIGNAL_METRICS
	SignalLogs    Signal = C.OTELCOL_SIGNAL_LOGS
)

// Signal is an OTLP signal.
type Signal uint8

// String is the signal's name as the collector writes it (traces, metrics, logs).
func (s Signal) String() string {
	switch s {
	case SignalTraces:
		return "traces"
	case SignalMetrics:
		return "metrics"
	case SignalLogs:
		return "logs"
	}
	return fmt.Sprintf("signal(%d)", uint8(s))
}

var initOnce = sync.OnceValue(func() error {
	if C.otelcol_go_init() != C.OTELCOL_OK {
		return errors.New("otelcol-ffi: callbacks were registered already by another copy of this package")
	}
	return nil
})

// takeString copies a string the Rust library returned and frees it there.
func takeString(p *C.char) (string, bool) {
	if p == nil {
		return "", false
	}
	s := C.GoString(p)
	C.otelcol_ffi_string_free(p)
	return s, true
}

// bytesArg is data's address for the duration of one call: a byte slice
// holds no Go pointers, so cgo allows passing it.
func bytesArg(b []byte) (*C.uint8_t, C.size_t) {
	if len(b) == 0 {
		return nil, 0
	}
	return (*C.uint8_t)(unsafe.Pointer(&b[0])), C.size_t(len(b))
}

func stringArg(s string) (*C.uint8_t, C.size_t) {
	return (*C.uint8_t)(unsafe.Pointer(unsafe.StringData(s))), C.size_t(len(s))
}

// Component is one linked Rust component.
type Component struct {
	Kind    string   `json:"kind"`
	Type    string   `json:"type"`
	Signals []string `json:"signals"`
}

// Components lists the Rust components linked into this binary. It is
// empty when static linking dropped the registry, which Start refuses.
func Components() ([]Component, error) {
	s, ok := takeString(C.otelcol_ffi_components())
	if !ok {
		return nil, errors.New("otelcol-ffi: listing components failed")
	}
	var out []Component
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, fmt.Errorf("otelcol-ffi: component list: %w", err)
	}
	return out, nil
}

// Validate checks the Rust half's YAML as `otelcol-rust validate` does.
func Validate(yaml []byte) error {
	p, n := bytesArg(yaml)
	if msg, failed := takeString(C.otelcol_ffi_validate(p, n)); failed {
		return errors.New(msg)
	}
	return nil
}

// Start runs the Rust half from its YAML in this process; it returns once
// every Rust component runs (that is its readiness).
func Start(yaml []byte) error {
	if err := initOnce(); err != nil {
		return err
	}
	p, n := bytesArg(yaml)
	if msg, failed := takeString(C.otelcol_ffi_start(p, n)); failed {
		return errors.New(msg)
	}
	return nil
}

// Shutdown drains and stops the Rust half; an error when nothing ran or the
// drain outlasted the Rust half's service.shutdown_timeout.
func Shutdown() error {
	if C.otelcol_ffi_shutdown() != C.OTELCOL_OK {
		return errors.New("otelcol-ffi: the Rust half was not running or did not drain within its shutdown_timeout")
	}
	return nil
}

// ActiveRequests is how many requests the Rust side still tracks (its
// cancellation registry and exports waiting for Go): 0 when idle.
func ActiveRequests() uint64 {
	return uint64(C.otelcol_ffi_active_requests())
}

// LinkedObject is the sha256 of the Rust object this binary linked, set by
// the build (-X). Go's build cache does not hash objects named in cgo
// LDFLAGS, so the build passes it to relink whenever the object changes;
// the start-up log shows it.
var LinkedObject = "unknown"

// MetricsSnapshot is the Rust components' counters as an encoded OTLP
// ExportMetricsServiceRequest, the same bytes the child serves in
// subprocess mode (collector/rustmetrics reads either).
func MetricsSnapshot() []byte {
	var n C.size_t
	p := C.otelcol_ffi_metrics_snapshot(&n)
	if p == nil {
		return nil
	}
	defer C.otelcol_ffi_bytes_free(p, n)
	return C.GoBytes(unsafe.Pointer(p), C.int(n))
}
