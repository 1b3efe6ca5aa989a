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
	waiters  = sync.Pool{New: func() any { return make(chan *Error, 1) }}
	// A plain map under a mutex: an entry costs a few words, where
	// sync.Map's trie nodes and boxed keys cost several times that for
	// every request in flight.
	callsMu sync.Mutex
	calls   = map[uint64]chan *Error{}
)

// Consume hands one encoded OTLP export request to the Rust ffi_bridge
// receiver named bridge and waits for its result. ctx's deadline, client
// metadata and trace context cross with it; when ctx ends first, the Rust
// request is cancelled at once and Consume still waits for Rust's answer
// (which then says cancelled or deadline exceeded), so nothing outlives it.
// A failure is an *Error.
func Consume(ctx context.Context, bridge string, signal Signal, data []byte) error {
	return consume(ctx, bridge, C.uint8_t(signal), data)
}

// ConsumeAsReceived is Consume for the bytes the user's receiver got from
// its client rather than pdata's encoding of them. Go's decoder read them,
// so Rust counts their framing as it does pdata's encoding, and refuses what
// that check fails with an InvalidArgument *Error before anything ran it
// (bridgectxext.IsRawRefusal).
func ConsumeAsReceived(ctx context.Context, bridge string, signal Signal, data []byte) error {
	return consume(ctx, bridge, C.uint8_t(signal)|C.OTELCOL_SIGNAL_AS_RECEIVED, data)
}

func consume(ctx context.Context, bridge string, signal C.uint8_t, data []byte) error {
	if err := initOnce(); err != nil {
		return err
	}
	id := nextCall.Add(2) // even ids; Rust numbers its own calls odd
	ch := waiters.Get().(chan *Error)
	callsMu.Lock()
	calls[id] = ch
	callsMu.Unlock()
	token := uint64(0)
	if ctx.Done() != nil {
		token = id
	}
	cctx := newCContext(ctx, token)
	bp, bn := stringArg(bridge)
	dp, dn := bytesArg(data)
	C.otelcol_ffi_consume(bp, bn, signal, dp, dn, cctx.raw, C.uint64_t(id))
	cctx.free()
	// The caller's goroutine waits here anyway, so it also watches ctx: no
	// goroutine and no AfterFunc registration per call (that registration
	// alone held ~375 bytes per request in flight).
	var res *Error
	select {
	case res = <-ch:
	case <-ctx.Done():
		// A passed deadline is Rust's to report (it ends a little earlier,
		// with DeadlineExceeded), and so is a cancel within deadlineSlack of
		// the deadline: that is a gRPC client giving up at its deadline, whose
		// RST_STREAM reaches the Go server before the server's own timer.
		// Anything else ends the Rust request now.
		if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			if d, ok := ctx.Deadline(); !ok || time.Until(d) >= deadlineSlack {
				C.otelcol_ffi_cancel(C.uint64_t(id))
			}
		}
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
	callsMu.Lock()
	ch, ok := calls[id]
	delete(calls, id)
	callsMu.Unlock()
	if ok {
		ch <- res
	}
}
