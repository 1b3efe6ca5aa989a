//go:build cgo && otelcol_embedded

package ffi

/*
#include "otelcol_ffi.h"
*/
import "C"

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// deadlineSlack: see Consume.
const deadlineSlack = 20 * time.Millisecond

// Go → Rust calls waiting for their completion, by call id. The id is also
// the request's cancellation token in Rust's registry.
var (
	nextCall atomic.Uint64
	calls    sync.Map // uint64 → chan *Error
	waiters  = sync.Pool{New: func() any { return make(chan *Error, 1) }}
)

// Consume hands one encoded OTLP export request to the Rust ffi_bridge
// receiver named bridge and waits for its result. ctx's deadline, client
// metadata and trace context cross with it; when ctx ends first, the Rust
// request is cancelled at once and Consume still waits for Rust's answer
// (which then says cancelled or deadline exceeded), so nothing outlives it.
// A failure is an *Error.
func Consume(ctx context.Context, bridge string, signal Signal, data []byte) error {
	if err := initOnce(); err != nil {
		return err
	}
	id := nextCall.Add(2) // even ids; Rust numbers its own calls odd
	ch := waiters.Get().(chan *Error)
	calls.Store(id, ch)
	token := uint64(0)
	if ctx.Done() != nil {
		token = id
	}
	cctx := newCContext(ctx, token)
	bp, bn := stringArg(bridge)
	dp, dn := bytesArg(data)
	C.otelcol_ffi_consume(bp, bn, C.uint8_t(signal), dp, dn, cctx.raw, C.uint64_t(id))
	cctx.free()
	var res *Error
	if token != 0 {
		// A passed deadline is Rust's to report (it ends a little earlier,
		// with DeadlineExceeded), and so is a cancel within deadlineSlack of
		// the deadline: that is a gRPC client giving up at its deadline, whose
		// RST_STREAM reaches the Go server before the server's own timer.
		// Anything else ends the Rust request now.
		stop := context.AfterFunc(ctx, func() {
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return
			}
			if d, ok := ctx.Deadline(); ok && time.Until(d) < deadlineSlack {
				return
			}
			C.otelcol_ffi_cancel(C.uint64_t(id))
		})
		res = <-ch
		stop()
	} else {
		res = <-ch
	}
	waiters.Put(ch)
	if res != nil {
		return res
	}
	return nil
}

func (e *Error) Error() string { return e.Message }

// complete delivers a Go → Rust call's result (from the exported callback).
func complete(id uint64, res *Error) {
	if ch, ok := calls.LoadAndDelete(id); ok {
		ch.(chan *Error) <- res
	}
}
