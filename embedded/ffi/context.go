//go:build cgo && otelcol_embedded

package ffi

/*
#include <stdlib.h>
#include <string.h>
#include "otelcol_ffi.h"
*/
import "C"

import (
	"context"
	"time"
	"unsafe"

	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/otel/trace"
)

// cContext is one request's context-transfer struct in C memory: the struct,
// its metadata array and every string, in one allocation that Go frees once
// Rust has copied it (before the call returns).
type cContext struct {
	raw *C.OtelcolContext
}

var (
	sizeofContext = C.size_t(unsafe.Sizeof(C.OtelcolContext{}))
	sizeofKV      = C.size_t(unsafe.Sizeof(C.OtelcolKeyValue{}))
)

// newCContext lays out ctx's deadline, client metadata (every value of every
// key) and trace context, with token as the request's cancellation id.
func newCContext(ctx context.Context, token uint64) cContext {
	md := client.FromContext(ctx).Metadata
	pairs, strBytes := 0, 0
	for k := range md.Keys() {
		vs := md.Get(k)
		pairs += len(vs)
		for _, v := range vs {
			strBytes += len(k) + len(v)
		}
	}
	sc := trace.SpanContextFromContext(ctx)
	ts := ""
	if sc.IsValid() {
		ts = sc.TraceState().String()
	}
	size := sizeofContext + C.size_t(pairs)*sizeofKV + C.size_t(strBytes+len(ts))
	base := C.malloc(size)
	raw := (*C.OtelcolContext)(base)
	*raw = C.OtelcolContext{cancel_token: C.uint64_t(token)}
	if d, ok := ctx.Deadline(); ok {
		raw.has_deadline = 1
		raw.deadline_unix_nanos = C.int64_t(d.UnixNano())
	}
	kvs := unsafe.Slice((*C.OtelcolKeyValue)(unsafe.Add(base, sizeofContext)), pairs)
	strs := unsafe.Add(base, sizeofContext+C.size_t(pairs)*sizeofKV)
	put := func(s string) C.OtelcolBytes {
		p := (*C.uint8_t)(strs)
		if len(s) > 0 {
			C.memcpy(strs, unsafe.Pointer(unsafe.StringData(s)), C.size_t(len(s)))
		}
		strs = unsafe.Add(strs, len(s))
		return C.OtelcolBytes{ptr: p, len: C.size_t(len(s))}
	}
	i := 0
	for k := range md.Keys() {
		for _, v := range md.Get(k) {
			kvs[i] = C.OtelcolKeyValue{key: put(k), value: put(v)}
			i++
		}
	}
	if pairs > 0 {
		raw.metadata = &kvs[0]
		raw.metadata_len = C.size_t(pairs)
	}
	if sc.IsValid() {
		raw.has_trace = 1
		tid, sid := sc.TraceID(), sc.SpanID()
		for j := range tid {
			raw.trace_id[j] = C.uint8_t(tid[j])
		}
		for j := range sid {
			raw.span_id[j] = C.uint8_t(sid[j])
		}
		raw.trace_flags = C.uint8_t(sc.TraceFlags())
		raw.trace_state = put(ts)
	}
	return cContext{raw: raw}
}

func (c cContext) free() { C.free(unsafe.Pointer(c.raw)) }

// goString copies bytes Rust lent for the duration of a callback.
func goString(b C.OtelcolBytes) string {
	if b.ptr == nil || b.len == 0 {
		return ""
	}
	return C.GoStringN((*C.char)(unsafe.Pointer(b.ptr)), C.int(b.len))
}

// fromCContext builds the Go context of a Rust → Go request: client
// metadata, the caller's trace context as the remote parent, and the
// deadline. The returned cancel must be called when the request ends.
func fromCContext(c *C.OtelcolContext) (context.Context, context.CancelFunc) {
	ctx := context.Background()
	if c.metadata_len > 0 {
		kvs := unsafe.Slice(c.metadata, int(c.metadata_len))
		m := make(map[string][]string, len(kvs))
		for _, kv := range kvs {
			k := goString(kv.key)
			m[k] = append(m[k], goString(kv.value))
		}
		ctx = client.NewContext(ctx, client.Info{Metadata: client.NewMetadata(m)})
	}
	if c.has_trace != 0 {
		var tid trace.TraceID
		var sid trace.SpanID
		for j := range tid {
			tid[j] = byte(c.trace_id[j])
		}
		for j := range sid {
			sid[j] = byte(c.span_id[j])
		}
		cfg := trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.TraceFlags(c.trace_flags), Remote: true}
		if ts, err := trace.ParseTraceState(goString(c.trace_state)); err == nil {
			cfg.TraceState = ts
		}
		if sc := trace.NewSpanContext(cfg); sc.IsValid() {
			ctx = trace.ContextWithRemoteSpanContext(ctx, sc)
		}
	}
	if c.has_deadline != 0 {
		return context.WithDeadline(ctx, time.Unix(0, int64(c.deadline_unix_nanos)))
	}
	return context.WithCancel(ctx)
}

// transferOnly hands a context struct to Rust, which rebuilds its request
// context from it and drops it: the context-transfer cost alone, for the
// benchmark that measures it.
func transferOnly(c cContext) int { return int(C.otelcol_ffi_context_probe(c.raw)) }
