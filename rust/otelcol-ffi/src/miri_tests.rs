//! The unsafe conversions of the C ABI, small enough for Miri (`make
//! test-ffi-miri`): struct layouts built on one side and read back through
//! raw pointers on the other, and the registries' lifetimes. No runtime,
//! threads or sockets, which Miri does not interpret.

use std::time::Duration;

use otelcol_core::{ProcessingError, RequestContext, TraceContext};
use tokio_util::sync::CancellationToken;

use crate::abi::{OtelcolBytes, OtelcolContext, OtelcolKeyValue};

#[test]
fn miri_context_struct_round_trips_through_raw_pointers() {
    let mut ctx = RequestContext::background().with_timeout(Duration::from_secs(3));
    ctx.metadata.append("x-tenant", "a");
    ctx.metadata.append("x-tenant", "b");
    ctx.metadata.append(":authority", "col:4317");
    ctx.trace = TraceContext::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", Some("k=v"));
    let out = crate::context::Outgoing::new(&ctx, 42);
    // SAFETY: out lives across the read.
    let back = unsafe { crate::context::incoming(&*out.as_ptr(), CancellationToken::new()) };
    assert_eq!(back.metadata, ctx.metadata);
    assert_eq!(back.trace, ctx.trace);
    assert!(back.deadline.is_some());
}

#[test]
fn miri_context_struct_from_caller_memory() {
    let strings = [b"k1".to_vec(), b"v1".to_vec(), b"k1".to_vec(), b"v2".to_vec()];
    let kvs: Vec<OtelcolKeyValue> = strings
        .chunks(2)
        .map(|p| OtelcolKeyValue {
            key: OtelcolBytes::from_slice(&p[0]),
            value: OtelcolBytes::from_slice(&p[1]),
        })
        .collect();
    let c = OtelcolContext {
        deadline_unix_nanos: 0,
        has_deadline: 0,
        cancel_token: 0,
        metadata: kvs.as_ptr(),
        metadata_len: kvs.len(),
        trace_id: [1; 16],
        span_id: [2; 8],
        trace_flags: 1,
        has_trace: 1,
        trace_state: OtelcolBytes::from_slice(b""),
    };
    // SAFETY: kvs and strings outlive the call.
    let back = unsafe { crate::context::incoming(&c, CancellationToken::new()) };
    assert_eq!(back.metadata.get("K1"), ["v1", "v2"]);
    assert_eq!(back.trace.unwrap().span_id, [2; 8]);
}

#[test]
fn miri_error_struct_round_trips_through_raw_pointers() {
    for e in [
        ProcessingError::permanent("p"),
        ProcessingError::retryable("r"),
        ProcessingError::ResourceExhausted {
            message: "slow".into(),
            retry_after: Some(Duration::from_millis(5)),
        },
    ] {
        let out = crate::errors::Outgoing::new(&e);
        // SAFETY: out lives across the read.
        let back = unsafe { crate::errors::incoming(&*out.as_ptr()) };
        assert_eq!(back.is_permanent(), e.is_permanent(), "{e}");
        assert_eq!(back.retry_after(), e.retry_after(), "{e}");
    }
}

#[test]
fn miri_strings_handed_over_are_freed_by_their_allocator() {
    let p = crate::owned("a message \0 with a NUL");
    assert!(!p.is_null());
    // SAFETY: p came from owned() and is freed once.
    unsafe { crate::otelcol_ffi_string_free(p) };
    // SAFETY: null is accepted.
    unsafe { crate::otelcol_ffi_string_free(std::ptr::null_mut()) };
}

#[test]
fn miri_cancellation_registry_forgets_finished_requests() {
    let r = crate::cancel::register(77_000_001);
    assert!(crate::cancel::cancel(77_000_001));
    assert!(r.token.is_cancelled());
    drop(r);
    assert!(!crate::cancel::cancel(77_000_001));
}
