//! `otelcol-ffi`: the Rust collector as a static library behind a small C
//! ABI, for otelcol-hybrid's embedded mode (cgo). The header is generated
//! from this crate (`include/otelcol_ffi.h`, cbindgen).
//!
//! Rules every entry point keeps:
//! - a panic never crosses: each body runs under `catch_unwind`, and each
//!   request task too (a panicking component fails its request with Internal);
//! - nothing is kept past a call but ids: data and contexts are copied, and
//!   what one side allocates only that side frees (`otelcol_ffi_string_free`
//!   for strings Rust hands over);
//! - calls are asynchronous: a request returns at once, its result comes
//!   back through the completion callback, and no thread waits for it.

pub mod abi;
mod bridge_exporter;
mod bridge_receiver;
mod callbacks;
pub mod cancel;
pub mod context;
pub mod errors;
mod log;
#[cfg(test)]
mod miri_tests;
mod panics;
pub mod runtime;
mod service;

// Linking a component crate registers it (linkme): the distribution's set.
use jaeger_receiver as _;
use otap_exporter as _;
use otelcol_advanced_filter as _;
use otelcol_debug_exporter as _;
use otelcol_fault as _;
use otelcol_file_exporter as _;
use otelcol_otlp_receiver as _;
use otelcol_otlp_rust_exporter as _;

use std::ffi::{CString, c_char};

use bytes::Bytes;
use otelcol_core::Signal;

use abi::{
    OTELCOL_SIGNAL_AS_RECEIVED, OTELCOL_SIGNAL_LOGS, OTELCOL_SIGNAL_METRICS, OTELCOL_SIGNAL_TRACES, OtelcolCallbacks,
    OtelcolContext, OtelcolError, OwnedCString,
};

/// Result codes of the entry points that return one.
pub const OTELCOL_OK: i32 = 0;
pub const OTELCOL_ERR: i32 = 1;
pub const OTELCOL_PANIC: i32 = 2;

fn owned(s: impl Into<Vec<u8>>) -> OwnedCString {
    let mut v: Vec<u8> = s.into();
    v.retain(|&b| b != 0);
    CString::new(v).map(CString::into_raw).unwrap_or(std::ptr::null_mut())
}

/// # Safety
/// `ptr` must be valid for `len` bytes.
unsafe fn text<'a>(ptr: *const u8, len: usize) -> Result<&'a str, String> {
    // SAFETY: per the caller.
    let b = unsafe { abi::OtelcolBytes { ptr, len }.as_slice() };
    std::str::from_utf8(b).map_err(|e| format!("not UTF-8: {e}"))
}

/// Registers the Go side's callbacks; call once before anything else.
/// Returns OTELCOL_ERR when callbacks were registered already.
///
/// # Safety
/// `cbs` must point to a valid `OtelcolCallbacks`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otelcol_ffi_init(cbs: *const OtelcolCallbacks) -> i32 {
    panics::entry("otelcol_ffi_init", OTELCOL_PANIC, || {
        if cbs.is_null() {
            return OTELCOL_ERR;
        }
        // SAFETY: non-null and valid per the caller; copied.
        if callbacks::set(unsafe { *cbs }) {
            OTELCOL_OK
        } else {
            OTELCOL_ERR
        }
    })
}

/// The linked components as JSON (`otelcol-rust components`' format).
/// Free the result with `otelcol_ffi_string_free`.
#[unsafe(no_mangle)]
pub extern "C" fn otelcol_ffi_components() -> OwnedCString {
    panics::entry("otelcol_ffi_components", std::ptr::null_mut(), || {
        owned(serde_json::to_string(&otelcol_core::registry::list()).unwrap_or_default())
    })
}

/// Validates the Rust half's YAML. Null when valid, else the error
/// (free it with `otelcol_ffi_string_free`).
///
/// # Safety
/// `yaml` must be valid for `len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otelcol_ffi_validate(yaml: *const u8, len: usize) -> OwnedCString {
    panics::entry(
        "otelcol_ffi_validate",
        owned("panic while validating the Rust half"),
        || {
            // SAFETY: per the caller.
            match unsafe { text(yaml, len) }.and_then(service::validate) {
                Ok(()) => std::ptr::null_mut(),
                Err(e) => owned(e),
            }
        },
    )
}

/// Starts the Rust half from its YAML (the config the child reads in
/// subprocess mode). Blocks until every component runs. Null on success,
/// else the error (free it with `otelcol_ffi_string_free`).
///
/// # Safety
/// `yaml` must be valid for `len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otelcol_ffi_start(yaml: *const u8, len: usize) -> OwnedCString {
    panics::entry("otelcol_ffi_start", owned("panic while starting the Rust half"), || {
        // SAFETY: per the caller.
        match unsafe { text(yaml, len) }.and_then(service::start) {
            Ok(()) => std::ptr::null_mut(),
            Err(e) => owned(e),
        }
    })
}

/// Drains and stops the Rust half. OTELCOL_OK: drained in time;
/// OTELCOL_ERR: nothing running or the drain timed out.
#[unsafe(no_mangle)]
pub extern "C" fn otelcol_ffi_shutdown() -> i32 {
    panics::entry("otelcol_ffi_shutdown", OTELCOL_PANIC, || match service::shutdown() {
        Ok(true) => OTELCOL_OK,
        _ => OTELCOL_ERR,
    })
}

/// Hands one encoded OTLP export request (`signal`: 0 traces, 1 metrics,
/// 2 logs, or-ed with `OTELCOL_SIGNAL_AS_RECEIVED` when the bytes are a
/// client's) to the `ffi_bridge` receiver named `bridge`. Returns at once:
/// the data and context are copied, and the result arrives through the
/// `complete` callback with `call_id` (possibly before this returns, when
/// the request is refused outright). `ctx.cancel_token`, when not 0, is
/// what `otelcol_ffi_cancel` takes to cancel the request.
///
/// # Safety
/// `bridge`, `data` and `ctx` (with everything it points to) must be valid
/// for the duration of the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otelcol_ffi_consume(
    bridge: *const u8,
    bridge_len: usize,
    signal: u8,
    data: *const u8,
    data_len: usize,
    ctx: *const OtelcolContext,
    call_id: u64,
) {
    let complete = move |r: Result<(), otelcol_core::ProcessingError>| {
        let Some(cb) = callbacks::get().and_then(|c| c.complete) else {
            return;
        };
        match r {
            // SAFETY: a plain function pointer registered by the Go side.
            Ok(()) => unsafe { cb(call_id, std::ptr::null()) },
            Err(e) => {
                let out = errors::Outgoing::new(&e);
                // SAFETY: out lives across the call; Go copies the error.
                unsafe { cb(call_id, out.as_ptr()) }
            }
        }
    };
    let refused = panics::entry(
        "otelcol_ffi_consume",
        Some(otelcol_core::ProcessingError::permanent("panic at the FFI boundary")),
        || {
            let rt = match runtime::get() {
                Ok(rt) => rt,
                Err(e) => return Some(otelcol_core::ProcessingError::retryable(e)),
            };
            // SAFETY: per the caller.
            let name = match unsafe { text(bridge, bridge_len) } {
                Ok(n) => n,
                Err(e) => return Some(otelcol_core::ProcessingError::permanent(format!("bridge name: {e}"))),
            };
            // AS_RECEIVED (the client's own bytes) is checked as pdata's
            // encoding is: Go's decoder accepted both.
            let signal = match signal & !OTELCOL_SIGNAL_AS_RECEIVED {
                OTELCOL_SIGNAL_TRACES => Signal::Traces,
                OTELCOL_SIGNAL_METRICS => Signal::Metrics,
                OTELCOL_SIGNAL_LOGS => Signal::Logs,
                other => {
                    return Some(otelcol_core::ProcessingError::permanent(format!(
                        "unknown signal {other}"
                    )));
                }
            };
            if ctx.is_null() {
                return Some(otelcol_core::ProcessingError::permanent("no request context"));
            }
            // SAFETY: per the caller; copied into owned values here.
            let c = unsafe { &*ctx };
            let registered = cancel::register(c.cancel_token);
            // SAFETY: per the caller.
            let request = unsafe { context::incoming(c, registered.token.clone()) };
            // SAFETY: per the caller; copied.
            let bytes = Bytes::copy_from_slice(unsafe {
                abi::OtelcolBytes {
                    ptr: data,
                    len: data_len,
                }
                .as_slice()
            });
            bridge_receiver::consume(rt, name, signal, bytes, request, registered, complete);
            None
        },
    );
    if let Some(e) = refused {
        complete(Err(e));
    }
}

/// Cancels the request registered under `token` at once. Returns 1 when a
/// running request was cancelled, 0 when none has that token (any more).
#[unsafe(no_mangle)]
pub extern "C" fn otelcol_ffi_cancel(token: u64) -> i32 {
    panics::entry("otelcol_ffi_cancel", 0, || cancel::cancel(token) as i32)
}

/// Go's answer to the Rust → Go export `call_id`; `err` null on success.
/// Returns 1 when the export was still waiting, 0 when it was not (cancelled).
///
/// # Safety
/// `err`, when not null, must point to a valid `OtelcolError` for the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otelcol_ffi_export_done(call_id: u64, err: *const OtelcolError) -> i32 {
    panics::entry("otelcol_ffi_export_done", 0, || {
        let r = if err.is_null() {
            Ok(())
        } else {
            // SAFETY: per the caller; copied into an owned error here.
            Err(unsafe { errors::incoming(&*err) })
        };
        bridge_exporter::answer(call_id, r) as i32
    })
}

/// Rebuilds a request context from `ctx` and drops it, returning how many
/// metadata values it carried: the context-transfer cost alone, for
/// benchmarks. No request is started.
///
/// # Safety
/// `ctx` (with everything it points to) must be valid for the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otelcol_ffi_context_probe(ctx: *const OtelcolContext) -> u64 {
    panics::entry("otelcol_ffi_context_probe", 0, || {
        if ctx.is_null() {
            return 0;
        }
        // SAFETY: per the caller.
        let c = unsafe { context::incoming(&*ctx, tokio_util::sync::CancellationToken::new()) };
        c.metadata.len() as u64
    })
}

/// Requests the cancellation registry holds right now (leak checks).
#[unsafe(no_mangle)]
pub extern "C" fn otelcol_ffi_active_requests() -> u64 {
    panics::entry("otelcol_ffi_active_requests", 0, || {
        (cancel::active() + bridge_exporter::waiting()) as u64
    })
}

/// The Rust components' counters as an encoded OTLP
/// ExportMetricsServiceRequest (`telemetry::metrics::snapshot`, the bytes
/// the child serves on its health listener in subprocess mode). Writes the
/// length to `len`; free the bytes with `otelcol_ffi_bytes_free`. Null (and
/// 0) when there is nothing to report.
///
/// # Safety
/// `len` must be valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otelcol_ffi_metrics_snapshot(len: *mut usize) -> *mut u8 {
    let bytes = panics::entry("otelcol_ffi_metrics_snapshot", Vec::new(), || {
        otelcol_core::telemetry::metrics::snapshot::snapshot().encode()
    });
    if len.is_null() {
        return std::ptr::null_mut();
    }
    let boxed = bytes.into_boxed_slice();
    // SAFETY: per the caller.
    unsafe { *len = boxed.len() };
    if boxed.is_empty() {
        return std::ptr::null_mut();
    }
    Box::into_raw(boxed).cast()
}

/// Frees bytes this library returned with their length.
///
/// # Safety
/// `ptr`/`len` must come from `otelcol_ffi_metrics_snapshot`, freed once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otelcol_ffi_bytes_free(ptr: *mut u8, len: usize) {
    if !ptr.is_null() {
        // SAFETY: a boxed slice of exactly len bytes made by this library.
        drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, len)) });
    }
}

/// Frees a string this library returned.
///
/// # Safety
/// `s` must come from this library and not be freed twice (null is fine).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otelcol_ffi_string_free(s: *mut c_char) {
    if !s.is_null() {
        // SAFETY: allocated by CString::into_raw in this crate.
        drop(unsafe { CString::from_raw(s) });
    }
}
