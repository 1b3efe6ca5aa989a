//! The context transfer struct, both ways: deadline as Unix nanoseconds,
//! cancellation by token id, client metadata (every value of every key,
//! `:authority` and `user-agent` included: in-process no transport owns
//! them, so they cross under their own names), and W3C trace context.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use otelcol_core::{ClientMetadata, RequestContext, TraceContext};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::abi::{OtelcolBytes, OtelcolContext, OtelcolKeyValue};

fn unix_nanos_now() -> i128 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_nanos() as i128,
        Err(e) => -(e.duration().as_nanos() as i128),
    }
}

/// Builds the Rust request context from the C struct; `cancel` is the token
/// registered under the struct's `cancel_token`.
///
/// # Safety
/// Every pointer in `c` must be valid for its length during this call.
pub unsafe fn incoming(c: &OtelcolContext, cancel: CancellationToken) -> RequestContext {
    let deadline = (c.has_deadline != 0).then(|| {
        let left = i128::from(c.deadline_unix_nanos) - unix_nanos_now();
        Instant::now() + Duration::from_nanos(left.clamp(0, u64::MAX as i128) as u64)
    });
    let mut metadata = ClientMetadata::new();
    if !c.metadata.is_null() && c.metadata_len > 0 {
        // SAFETY: the caller guarantees metadata/metadata_len.
        let kvs = unsafe { std::slice::from_raw_parts(c.metadata, c.metadata_len) };
        for kv in kvs {
            // SAFETY: as above, for each key and value.
            let (k, v) = unsafe { (kv.key.as_slice(), kv.value.as_slice()) };
            metadata.append(&String::from_utf8_lossy(k), String::from_utf8_lossy(v));
        }
    }
    let trace = (c.has_trace != 0 && c.trace_id != [0; 16] && c.span_id != [0; 8]).then(|| TraceContext {
        trace_id: c.trace_id,
        span_id: c.span_id,
        flags: c.trace_flags,
        // SAFETY: the caller guarantees trace_state.
        trace_state: String::from_utf8_lossy(unsafe { c.trace_state.as_slice() }).into_owned(),
    });
    RequestContext {
        deadline,
        cancel,
        metadata,
        trace,
    }
}

/// A Rust request context laid out for the C side. The struct points into
/// this value, so keep it alive (and unmoved) while the struct is read.
pub struct Outgoing<'a> {
    kvs: Vec<OtelcolKeyValue>,
    raw: OtelcolContext,
    _ctx: std::marker::PhantomData<&'a RequestContext>,
}

impl<'a> Outgoing<'a> {
    pub fn new(ctx: &'a RequestContext, cancel_token: u64) -> Box<Outgoing<'a>> {
        let mut kvs = Vec::with_capacity(ctx.metadata.len());
        for (k, values) in ctx.metadata.iter() {
            for v in values {
                kvs.push(OtelcolKeyValue {
                    key: OtelcolBytes::from_slice(k.as_bytes()),
                    value: OtelcolBytes::from_slice(v.as_bytes()),
                });
            }
        }
        let (has_deadline, deadline_unix_nanos) = match ctx.remaining() {
            Some(left) => (
                1,
                (unix_nanos_now() + left.as_nanos() as i128).clamp(0, i64::MAX as i128) as i64,
            ),
            None => (0, 0),
        };
        let mut raw = OtelcolContext {
            deadline_unix_nanos,
            has_deadline,
            cancel_token,
            metadata: std::ptr::null(),
            metadata_len: kvs.len(),
            trace_id: [0; 16],
            span_id: [0; 8],
            trace_flags: 0,
            has_trace: 0,
            trace_state: OtelcolBytes::from_slice(&[]),
        };
        if let Some(t) = &ctx.trace {
            raw.trace_id = t.trace_id;
            raw.span_id = t.span_id;
            raw.trace_flags = t.flags;
            raw.has_trace = 1;
            raw.trace_state = OtelcolBytes::from_slice(t.trace_state.as_bytes());
        }
        let mut out = Box::new(Outgoing {
            kvs,
            raw,
            _ctx: std::marker::PhantomData,
        });
        out.raw.metadata = out.kvs.as_ptr();
        out
    }

    pub fn as_ptr(&self) -> *const OtelcolContext {
        &self.raw
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn context_round_trips() {
        let mut ctx = RequestContext::background().with_timeout(Duration::from_secs(5));
        ctx.metadata.append(":authority", "collector:4317");
        ctx.metadata.append("X-Tenant", "a");
        ctx.metadata.append("x-tenant", "b");
        ctx.trace = TraceContext::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", Some("k=v"));
        let out = Outgoing::new(&ctx, 7);
        // SAFETY: out lives across the call.
        let raw = unsafe { &*out.as_ptr() };
        assert_eq!(raw.cancel_token, 7);
        assert_eq!(raw.metadata_len, 3);
        // SAFETY: out lives.
        let back = unsafe { incoming(raw, CancellationToken::new()) };
        assert_eq!(back.metadata, ctx.metadata);
        assert_eq!(back.trace, ctx.trace);
        let left = back.remaining().unwrap();
        assert!(
            left > Duration::from_secs(4) && left <= Duration::from_secs(5),
            "{left:?}"
        );
    }

    #[tokio::test]
    async fn no_deadline_no_trace() {
        let ctx = RequestContext::background();
        let out = Outgoing::new(&ctx, 0);
        // SAFETY: out lives.
        let back = unsafe { incoming(&*out.as_ptr(), CancellationToken::new()) };
        assert!(back.deadline.is_none());
        assert!(back.trace.is_none());
        assert!(back.metadata.is_empty());
    }

    #[tokio::test]
    async fn a_past_deadline_is_already_expired() {
        let c = OtelcolContext {
            deadline_unix_nanos: 1,
            has_deadline: 1,
            cancel_token: 0,
            metadata: std::ptr::null(),
            metadata_len: 0,
            trace_id: [0; 16],
            span_id: [0; 8],
            trace_flags: 0,
            has_trace: 0,
            trace_state: OtelcolBytes::from_slice(&[]),
        };
        // SAFETY: no pointers to read.
        let back = unsafe { incoming(&c, CancellationToken::new()) };
        assert_eq!(back.remaining(), Some(Duration::ZERO));
    }
}
