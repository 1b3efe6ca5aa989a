//! The error transfer struct, both ways, through the one cross-runtime
//! error table (`ProcessingError`'s gRPC code, HTTP status, permanence and
//! retry delay; `ProcessingError::from_status` for what Go answers), so a
//! failure means the same in-process as over the gRPC bridge.

use std::time::Duration;

use otelcol_core::ProcessingError;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::abi::{OtelcolBytes, OtelcolError, OtelcolErrorKind};

/// A `ProcessingError` laid out for the C side. The struct borrows the
/// message, so keep this value alive while the struct is read.
pub struct Outgoing {
    message: String,
    raw: OtelcolError,
}

impl Outgoing {
    pub fn new(e: &ProcessingError) -> Outgoing {
        let kind = match e {
            ProcessingError::Permanent { .. } => OtelcolErrorKind::Permanent,
            ProcessingError::Retryable { .. } => OtelcolErrorKind::Retryable,
            ProcessingError::Cancelled { .. } => OtelcolErrorKind::Cancelled,
            ProcessingError::Timeout { .. } => OtelcolErrorKind::Timeout,
            ProcessingError::ResourceExhausted { .. } => OtelcolErrorKind::ResourceExhausted,
            ProcessingError::Configuration { .. } => OtelcolErrorKind::Configuration,
        };
        let message = e.message().to_string();
        let raw = OtelcolError {
            message: OtelcolBytes::from_slice(message.as_bytes()),
            kind: kind as u8,
            permanent: e.is_permanent() as u8,
            grpc_code: e.grpc_code() as i32,
            http_status: i32::from(e.http_status()),
            retry_after_nanos: e
                .retry_after()
                .map_or(-1, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)),
        };
        Outgoing { message, raw }
    }

    /// Valid while `self` lives (the message bytes are `self.message`'s).
    pub fn as_ptr(&self) -> *const OtelcolError {
        debug_assert_eq!(self.raw.message.ptr, self.message.as_ptr());
        &self.raw
    }
}

/// What Go answered for a Rust → Go export, classified as a downstream gRPC
/// status is (`ProcessingError::from_status`): the code decides retryability
/// and a ResourceExhausted with a delay is throttling; Go's permanent flag
/// wins when it is stricter than the code.
///
/// # Safety
/// `e.message` must point to `e.message.len` readable bytes.
pub unsafe fn incoming(e: &OtelcolError) -> ProcessingError {
    // SAFETY: guaranteed by the caller for the duration of this call.
    let message = String::from_utf8_lossy(unsafe { e.message.as_slice() }).into_owned();
    let code = Code::from_i32(e.grpc_code);
    if code == Code::Ok {
        return ProcessingError::permanent(format!("error with gRPC code OK: {message}"));
    }
    let status = if e.retry_after_nanos >= 0 || code == Code::ResourceExhausted && e.permanent == 0 {
        let delay = (e.retry_after_nanos >= 0).then(|| Duration::from_nanos(e.retry_after_nanos as u64));
        Status::with_error_details(code, message, ErrorDetails::with_retry_info(delay))
    } else {
        Status::new(code, message)
    };
    let classified = ProcessingError::from_status(&status);
    if e.permanent != 0 && !classified.is_permanent() {
        return ProcessingError::Permanent {
            message: classified.message().to_string(),
            code: Some(code),
        };
    }
    classified
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(e: &ProcessingError) -> ProcessingError {
        let out = Outgoing::new(e);
        // SAFETY: out lives across the call.
        unsafe { incoming(&*out.as_ptr()) }
    }

    #[test]
    fn outgoing_carries_the_table() {
        let e = ProcessingError::ResourceExhausted {
            message: "slow down".into(),
            retry_after: Some(Duration::from_millis(1500)),
        };
        let out = Outgoing::new(&e);
        // SAFETY: out lives.
        let raw = unsafe { &*out.as_ptr() };
        assert_eq!(raw.kind, OtelcolErrorKind::ResourceExhausted as u8);
        assert_eq!(raw.permanent, 0);
        assert_eq!(raw.grpc_code, Code::ResourceExhausted as i32);
        assert_eq!(raw.http_status, 429);
        assert_eq!(raw.retry_after_nanos, 1_500_000_000);
        // SAFETY: the message is out's.
        assert_eq!(unsafe { raw.message.as_slice() }, b"slow down");
        let p = Outgoing::new(&ProcessingError::permanent("bad"));
        // SAFETY: p lives.
        let raw = unsafe { &*p.as_ptr() };
        assert_eq!(
            (raw.permanent, raw.grpc_code, raw.http_status, raw.retry_after_nanos),
            (1, 13, 500, -1)
        );
    }

    #[test]
    fn incoming_classifies_like_a_downstream_status() {
        let back = round_trip(&ProcessingError::retryable("later"));
        assert!(!back.is_permanent());
        assert_eq!(back.grpc_code(), Code::Unavailable);
        let back = round_trip(&ProcessingError::permanent("no"));
        assert!(back.is_permanent());
        assert_eq!(back.grpc_code(), Code::Internal);
        let back = round_trip(&ProcessingError::ResourceExhausted {
            message: "x".into(),
            retry_after: Some(Duration::from_secs(2)),
        });
        assert_eq!(back.retry_after(), Some(Duration::from_secs(2)));
        assert!(!back.is_permanent());
        let back = round_trip(&ProcessingError::timeout("t"));
        assert_eq!(back.grpc_code(), Code::DeadlineExceeded);
        assert!(!back.is_permanent());
    }

    #[test]
    fn go_permanent_flag_wins_over_a_retryable_code() {
        let msg = b"refused";
        let e = OtelcolError {
            message: OtelcolBytes::from_slice(msg),
            kind: OtelcolErrorKind::Permanent as u8,
            permanent: 1,
            grpc_code: Code::Unavailable as i32,
            http_status: 503,
            retry_after_nanos: -1,
        };
        // SAFETY: msg lives.
        let back = unsafe { incoming(&e) };
        assert!(back.is_permanent());
        assert_eq!(back.grpc_code(), Code::Unavailable);
    }
}
