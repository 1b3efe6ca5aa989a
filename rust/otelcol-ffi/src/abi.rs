//! The C ABI's data types. Everything crossing is plain data: byte ranges
//! the caller keeps alive for the duration of the call, integers, and ids.
//! No pointer is kept past the call that received it, so neither side ever
//! frees memory the other allocated.

use std::ffi::c_char;

/// Bytes borrowed for the duration of one call.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct OtelcolBytes {
    pub ptr: *const u8,
    pub len: usize,
}

impl OtelcolBytes {
    pub fn from_slice(s: &[u8]) -> Self {
        OtelcolBytes {
            ptr: s.as_ptr(),
            len: s.len(),
        }
    }

    /// # Safety
    /// `ptr` must be valid for `len` bytes for the lifetime the caller picks.
    pub unsafe fn as_slice<'a>(&self) -> &'a [u8] {
        if self.ptr.is_null() || self.len == 0 {
            return &[];
        }
        // SAFETY: the caller guarantees ptr/len describe live memory.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

/// One client-metadata value; a key with several values appears once per value.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct OtelcolKeyValue {
    pub key: OtelcolBytes,
    pub value: OtelcolBytes,
}

/// What a request carries besides its data, one per call and in both
/// directions: deadline, cancellation, client metadata and trace context.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct OtelcolContext {
    /// Absolute deadline in Unix nanoseconds; read only when `has_deadline` is 1.
    pub deadline_unix_nanos: i64,
    pub has_deadline: u8,
    /// Id the caller cancels the request by (`otelcol_ffi_cancel`); 0 = cannot be cancelled.
    pub cancel_token: u64,
    pub metadata: *const OtelcolKeyValue,
    pub metadata_len: usize,
    /// W3C trace context; read only when `has_trace` is 1.
    pub trace_id: [u8; 16],
    pub span_id: [u8; 8],
    pub trace_flags: u8,
    pub has_trace: u8,
    pub trace_state: OtelcolBytes,
}

/// The error type of a failed request, one per `ProcessingError` variant.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OtelcolErrorKind {
    Permanent = 1,
    Retryable = 2,
    Cancelled = 3,
    Timeout = 4,
    ResourceExhausted = 5,
    Configuration = 6,
}

/// A failed request, in both directions. `permanent`, `grpc_code`,
/// `http_status` and `retry_after_nanos` are what the cross-runtime error
/// table says for it, so the receiving side never re-derives them.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct OtelcolError {
    pub message: OtelcolBytes,
    pub kind: u8,
    pub permanent: u8,
    pub grpc_code: i32,
    pub http_status: i32,
    /// Throttling delay the caller should wait before retrying; -1 = none.
    pub retry_after_nanos: i64,
}

/// Signals, numbered like the OTLP services.
pub const OTELCOL_SIGNAL_TRACES: u8 = 0;
pub const OTELCOL_SIGNAL_METRICS: u8 = 1;
pub const OTELCOL_SIGNAL_LOGS: u8 = 2;
/// Or-ed into the signal of `otelcol_ffi_consume`: the data are the bytes
/// the user's receiver got from its client, not pdata's encoding of what it
/// decoded. Go's decoder accepted them, so the Rust half counts their
/// framing as it does for pdata's encoding. A request that check refuses
/// fails with InvalidArgument and a message starting "invalid OTLP ", before
/// anything ran it, and Go may send it again encoded from pdata.
pub const OTELCOL_SIGNAL_AS_RECEIVED: u8 = 0x80;

/// The Go side's functions, registered once by `otelcol_ffi_init`.
///
/// Each is called from a Rust runtime thread and must return promptly: it
/// copies what it needs and hands the work to a goroutine.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct OtelcolCallbacks {
    /// The Go → Rust request `call_id` finished; `err` is null on success.
    pub complete: Option<unsafe extern "C" fn(call_id: u64, err: *const OtelcolError)>,
    /// A Rust → Go export: Go consumes `data` and answers with
    /// `otelcol_ffi_export_done(call_id, …)`.
    pub export: Option<
        unsafe extern "C" fn(
            bridge: *const u8,
            bridge_len: usize,
            signal: u8,
            data: *const u8,
            data_len: usize,
            ctx: *const OtelcolContext,
            call_id: u64,
        ),
    >,
    /// Rust gave up on export `call_id` (its caller cancelled or its deadline
    /// passed): Go cancels the request's context.
    pub cancel_export: Option<unsafe extern "C" fn(call_id: u64)>,
    /// One JSON log line of the Rust half (no trailing newline).
    pub log: Option<unsafe extern "C" fn(line: *const u8, len: usize)>,
}

/// A string Rust allocated and hands over; free it with `otelcol_ffi_string_free`.
pub type OwnedCString = *mut c_char;
