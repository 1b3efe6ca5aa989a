//go:build cgo && otelcol_embedded

package ffi

/*
#include <stdlib.h>
#include "otelcol_ffi.h"
*/
import "C"

import (
	"time"
	"unsafe"

	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// Error is the error-transfer struct in Go: what the Rust side's error
// table says about a failed request.
type Error struct {
	Message    string
	Kind       uint8
	Permanent  bool
	GRPCCode   codes.Code
	HTTPStatus int
	// RetryAfter is the throttling delay; negative when none was given.
	RetryAfter time.Duration
}

func errorFromC(e *C.OtelcolError) *Error {
	return &Error{
		Message:    goString(e.message),
		Kind:       uint8(e.kind),
		Permanent:  e.permanent != 0,
		GRPCCode:   codes.Code(e.grpc_code),
		HTTPStatus: int(e.http_status),
		RetryAfter: time.Duration(e.retry_after_nanos),
	}
}

// ConsumerError is what the Go pipeline sees, decided exactly as the Go
// OTLP exporter decides for the same status over the gRPC bridge: a
// permanent error is consumererror.NewPermanent, a throttled one
// exporterhelper.NewThrottleRetry, anything else is retryable; the gRPC
// status (with RetryInfo) stays attached, so a Go receiver answers its
// client with the code Rust chose.
func (e *Error) ConsumerError() error {
	st := status.New(e.GRPCCode, e.Message)
	if e.GRPCCode == codes.ResourceExhausted && e.RetryAfter >= 0 {
		if d, err := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(e.RetryAfter)}); err == nil {
			st = d
		}
	}
	err := st.Err()
	switch {
	case e.Permanent:
		return consumererror.NewPermanent(err)
	case e.RetryAfter > 0:
		return exporterhelper.NewThrottleRetry(err, e.RetryAfter)
	default:
		return err
	}
}

// cError is a Go error laid out for Rust in C memory; Go frees it after
// the call that passes it (Rust copies what it keeps).
type cError struct{ raw *C.OtelcolError }

// newCError classifies a Go pipeline's error as the Go OTLP receiver
// answers it over the gRPC bridge (a gRPC status when the error carries
// one; else permanent → Internal, anything else → Unavailable), with the
// RetryInfo delay when the status has one.
func newCError(err error) cError {
	st, ok := status.FromError(err)
	permanent := consumererror.IsPermanent(err)
	if !ok {
		code := codes.Unavailable
		if permanent {
			code = codes.Internal
		}
		st = status.New(code, err.Error())
	}
	retry := time.Duration(-1)
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			retry = ri.GetRetryDelay().AsDuration()
		}
	}
	msg := st.Message()
	base := C.malloc(C.size_t(unsafe.Sizeof(C.OtelcolError{})) + C.size_t(len(msg)))
	raw := (*C.OtelcolError)(base)
	text := unsafe.Add(base, unsafe.Sizeof(C.OtelcolError{}))
	if len(msg) > 0 {
		copy(unsafe.Slice((*byte)(text), len(msg)), msg)
	}
	*raw = C.OtelcolError{
		message:           C.OtelcolBytes{ptr: (*C.uint8_t)(text), len: C.size_t(len(msg))},
		kind:              C.OTELCOL_ERROR_KIND_RETRYABLE,
		grpc_code:         C.int32_t(st.Code()),
		http_status:       C.int32_t(consumererror.ToHTTPStatus(consumererror.NewOTLPGRPCError(err, st))),
		retry_after_nanos: C.int64_t(retry),
	}
	if permanent {
		raw.permanent = 1
		raw.kind = C.OTELCOL_ERROR_KIND_PERMANENT
	}
	return cError{raw: raw}
}

func (c cError) free() { C.free(unsafe.Pointer(c.raw)) }
