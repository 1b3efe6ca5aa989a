//go:build cgo && otelcol_embedded

package ffi

/*
#include "otelcol_ffi.h"
*/
import "C"

import (
	"unsafe"
)

// The functions Rust calls. Each runs on a Rust runtime thread, copies what
// it needs and returns at once; slow work happens in goroutines.

//export otelcolGoComplete
func otelcolGoComplete(callID C.uint64_t, err *C.OtelcolError) {
	var res *Error
	if err != nil {
		res = errorFromC(err)
	}
	complete(uint64(callID), res)
}

//export otelcolGoExport
func otelcolGoExport(bridge *C.uint8_t, bridgeLen C.size_t, signal C.uint8_t, data *C.uint8_t, dataLen C.size_t, ctx *C.OtelcolContext, callID C.uint64_t) {
	name := C.GoStringN((*C.char)(unsafe.Pointer(bridge)), C.int(bridgeLen))
	body := C.GoBytes(unsafe.Pointer(data), C.int(dataLen))
	gctx, cancel := fromCContext(ctx)
	startExport(gctx, cancel, uint64(callID), name, Signal(signal), body)
}

//export otelcolGoCancelExport
func otelcolGoCancelExport(callID C.uint64_t) {
	cancelExport(uint64(callID))
}

//export otelcolGoLog
func otelcolGoLog(line *C.uint8_t, n C.size_t) {
	logLine(C.GoBytes(unsafe.Pointer(line), C.int(n)))
}
