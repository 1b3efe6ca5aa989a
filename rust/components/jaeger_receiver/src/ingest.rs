//! The one path from a translated batch to the pipeline, shared by the
//! three protocols: encode the OTLP request once, check it as any received
//! payload is checked, and run the traces pipeline under a request context
//! that is cancelled if the caller goes away. Counters say what was refused.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use opentelemetry_proto::tonic::trace::v1::ResourceSpans;
use otelcol_core::component::consumer_for_transport;
use otelcol_core::{Consumer, Payload, ProcessingError, RequestContext, Signal};
use tokio_util::task::TaskTracker;

use crate::translate;

/// What the receiver refused or dropped, by cause. Read with [`Stats::snapshot`].
#[derive(Debug, Default)]
pub struct Stats {
    /// Requests (HTTP bodies, gRPC messages) refused as malformed.
    pub refused_requests: AtomicU64,
    /// Datagrams dropped: malformed, oversized, not `emitBatch`, or queue full.
    pub dropped_packets: AtomicU64,
    /// Spans the pipeline accepted.
    pub accepted_spans: AtomicU64,
    /// Spans the pipeline failed.
    pub failed_spans: AtomicU64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    pub refused_requests: u64,
    pub dropped_packets: u64,
    pub accepted_spans: u64,
    pub failed_spans: u64,
}

impl Stats {
    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            refused_requests: self.refused_requests.load(Ordering::Relaxed),
            dropped_packets: self.dropped_packets.load(Ordering::Relaxed),
            accepted_spans: self.accepted_spans.load(Ordering::Relaxed),
            failed_spans: self.failed_spans.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn count(c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }
}

#[derive(Clone)]
pub(crate) struct Ingest {
    pub receiver: Arc<str>,
    pub consumer: Arc<dyn Consumer>,
    /// Counts in-flight batches so shutdown knows when draining is done.
    pub tracker: TaskTracker,
    pub stats: Arc<Stats>,
}

impl Ingest {
    /// The same ingest for one listener, so the collector's receiver counters
    /// carry the transport names the Go receiver uses (`grpc`,
    /// `collector_http`, `udp_thrift_compact`, `udp_thrift_binary`).
    pub(crate) fn for_transport(&self, transport: &'static str) -> Ingest {
        Ingest {
            consumer: consumer_for_transport(&self.consumer, transport),
            ..self.clone()
        }
    }

    pub(crate) async fn consume(&self, resource_spans: Vec<ResourceSpans>) -> Result<(), ProcessingError> {
        if resource_spans.is_empty() {
            return Ok(());
        }
        let bytes = Bytes::from(translate::encode(resource_spans));
        let payload = Payload::from_wire(Signal::Traces, bytes)
            .map_err(|e| ProcessingError::permanent(format!("translated Jaeger batch is not valid OTLP: {e}")))?;
        let items = payload.item_count() as u64;
        let ctx = RequestContext::background();
        // The pipeline runs in its own task: when the caller goes away the
        // guard fires the token and the pipeline sees a cancellation.
        let _cancel_on_drop = ctx.cancel.clone().drop_guard();
        let consumer = self.consumer.clone();
        let work = async move { ctx.run(consumer.consume(&ctx, payload)).await };
        let r = match self.tracker.spawn(work).await {
            Ok(r) => r,
            Err(join) => Err(ProcessingError::permanent(format!("pipeline task failed: {join}"))),
        };
        match &r {
            Ok(()) => self.stats.accepted_spans.fetch_add(items, Ordering::Relaxed),
            Err(e) => {
                tracing::warn!(receiver = %self.receiver, spans = items, error = %e, "jaeger batch failed");
                self.stats.failed_spans.fetch_add(items, Ordering::Relaxed)
            }
        };
        r
    }
}
