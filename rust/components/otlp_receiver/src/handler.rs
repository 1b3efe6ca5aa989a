//! One request path for every protocol and signal: builds the RequestContext
//! from the caller's metadata and deadline and runs the pipeline under it.

use std::sync::Arc;
use std::time::Duration;

use otelcol_core::grpc_layers::Authority;
use otelcol_core::spans::{ActiveSpan, SpanNames};
use otelcol_core::{ClientMetadata, Consumer, Payload, ProcessingError, RequestContext, TraceContext};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tonic::Status;
use tracing::Instrument;

/// tonic's own grpc-timeout enforcement answers `Cancelled`; we finish this much
/// earlier so the caller gets our `DeadlineExceeded` instead.
const DEADLINE_MARGIN: Duration = Duration::from_millis(5);

#[derive(Clone)]
pub(crate) struct Handler {
    pub receiver: Arc<str>,
    /// `receiver/<id>/<signal>`, built once.
    pub span_names: Arc<SpanNames>,
    pub consumer: Arc<dyn Consumer>,
    /// Counts in-flight export requests so shutdown knows when draining is done.
    pub tracker: TaskTracker,
    pub include_metadata: bool,
}

impl Handler {
    /// A gRPC request: metadata as grpc-go hands it to the Go collector, plus
    /// `:authority`, and the caller's `grpc-timeout` as the deadline.
    pub(crate) async fn handle(
        &self,
        md: tonic::metadata::MetadataMap,
        ext: &tonic::Extensions,
        data: Payload,
    ) -> Result<(), Status> {
        let metadata = if self.include_metadata {
            let mut m = ClientMetadata::from_grpc(&md);
            if let Some(Authority(a)) = ext.get::<Authority>() {
                m.append(":authority", a.clone());
            }
            m
        } else {
            trace_headers_only(|k| md.get(k).and_then(|v| v.to_str().ok()))
        };
        let timeout = md
            .get("grpc-timeout")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_grpc_timeout);
        self.run(metadata, timeout, data).await.map_err(|e| e.to_status())
    }

    /// Runs the pipelines for one request under its context. Client metadata
    /// reaches the pipeline only with `include_metadata`, as in the Go
    /// receiver; trace context is always taken from it.
    pub(crate) async fn run(
        &self,
        mut metadata: ClientMetadata,
        timeout: Option<Duration>,
        data: Payload,
    ) -> Result<(), ProcessingError> {
        metadata.restore_bridged();
        let mut trace = metadata
            .first("traceparent")
            .and_then(|tp| TraceContext::parse(tp, metadata.first("tracestate")));
        if !self.include_metadata {
            metadata = ClientMetadata::new();
        }
        // Sampled and spans enabled: this request gets a SERVER span, child of
        // the caller's, and everything downstream becomes its child.
        let signal = data.signal();
        let items = data.item_count();
        let server_span = ActiveSpan::start_server(
            &mut trace,
            self.span_names.get(signal),
            self.receiver.clone(),
            signal,
            items,
        );
        let deadline = timeout.map(|t| Instant::now() + t.saturating_sub(DEADLINE_MARGIN));
        let ctx = RequestContext {
            deadline,
            cancel: CancellationToken::new(),
            metadata,
            trace,
        };

        let span = otelcol_core::logging::request_span(&self.receiver, signal, ctx.trace.as_ref());
        // The pipeline runs in its own task so that, when the request future is
        // dropped (client cancel / stream reset), the drop guard fires the token
        // and the pipeline observes the cancellation instead of vanishing mid-await.
        let _cancel_on_drop = ctx.cancel.clone().drop_guard();
        let consumer = self.consumer.clone();
        let work = async move {
            let r = ctx.run(consumer.consume(&ctx, data)).await;
            match &r {
                Ok(()) => tracing::debug!(items, "request accepted"),
                Err(e) => tracing::warn!(items, error = %e, code = ?e.grpc_code(), "request failed"),
            }
            // Ended here, not in the request future: this task always finishes,
            // even when the caller goes away (the span then says Cancelled).
            if let Some(s) = server_span {
                s.end_with(&r);
            }
            r
        };
        match self.tracker.spawn(work.instrument(span)).await {
            Ok(r) => r,
            Err(join) => {
                tracing::error!(receiver = %self.receiver, error = %join, "pipeline task failed");
                Err(ProcessingError::permanent("pipeline task failed"))
            }
        }
    }
}

/// Without `include_metadata` only the trace context is read from the
/// caller's headers: copying every header just to drop it would cost an
/// allocation per request for nothing.
pub(crate) fn trace_headers_only<'a>(get: impl Fn(&str) -> Option<&'a str>) -> ClientMetadata {
    let mut md = ClientMetadata::new();
    for k in ["traceparent", "tracestate"] {
        if let Some(v) = get(k) {
            md.append(k, v);
        }
    }
    md
}

/// `grpc-timeout`: up to 8 digits and a unit (H, M, S, m, u, n).
pub(crate) fn parse_grpc_timeout(v: &str) -> Option<Duration> {
    if v.len() < 2 || v.len() > 9 {
        return None;
    }
    let (digits, unit) = v.split_at(v.len() - 1);
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n * 3600),
        "M" => Duration::from_secs(n * 60),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeout_units() {
        assert_eq!(parse_grpc_timeout("5S"), Some(Duration::from_secs(5)));
        assert_eq!(parse_grpc_timeout("250m"), Some(Duration::from_millis(250)));
        assert_eq!(parse_grpc_timeout("2H"), Some(Duration::from_secs(7200)));
        assert_eq!(parse_grpc_timeout("100u"), Some(Duration::from_micros(100)));
        assert_eq!(parse_grpc_timeout("99999999n"), Some(Duration::from_nanos(99_999_999)));
        for bad in ["", "S", "5", "5x", "123456789S", "-1S"] {
            assert_eq!(parse_grpc_timeout(bad), None, "{bad:?}");
        }
    }
}
