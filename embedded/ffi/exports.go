//go:build cgo && otelcol_embedded

package ffi

/*
#include "otelcol_ffi.h"
*/
import "C"

import (
	"context"
	"fmt"
	"sync"
)

// ExportHandler consumes one Rust → Go request (encoded OTLP) for a Go
// ffi_bridge receiver.
type ExportHandler func(ctx context.Context, signal Signal, data []byte) error

var (
	handlersMu sync.RWMutex
	handlers   = map[string]ExportHandler{}

	// Rust → Go exports in flight, by Rust's call id: their cancel funcs.
	running sync.Map // uint64 → context.CancelFunc
)

// RegisterExport makes h the receiver of bridge's Rust → Go requests until
// the returned function is called.
func RegisterExport(bridge string, h ExportHandler) (unregister func(), err error) {
	if err := initOnce(); err != nil {
		return nil, err
	}
	handlersMu.Lock()
	defer handlersMu.Unlock()
	if _, dup := handlers[bridge]; dup {
		return nil, fmt.Errorf("otelcol-ffi: bridge %q already has a Go receiver", bridge)
	}
	handlers[bridge] = h
	return func() {
		handlersMu.Lock()
		delete(handlers, bridge)
		handlersMu.Unlock()
	}, nil
}

func startExport(ctx context.Context, cancel context.CancelFunc, id uint64, bridge string, signal Signal, data []byte) {
	handlersMu.RLock()
	h := handlers[bridge]
	handlersMu.RUnlock()
	running.Store(id, cancel)
	go func() {
		var err error
		if h == nil {
			err = fmt.Errorf("bridge %q has no running Go ffi_bridge receiver", bridge)
		} else {
			err = h(ctx, signal, data)
		}
		running.Delete(id)
		cancel()
		if err == nil {
			C.otelcol_ffi_export_done(C.uint64_t(id), nil)
			return
		}
		ce := newCError(err)
		C.otelcol_ffi_export_done(C.uint64_t(id), ce.raw)
		ce.free()
	}()
}

func cancelExport(id uint64) {
	if c, ok := running.Load(id); ok {
		c.(context.CancelFunc)()
	}
}
