//! The runtime's counting hooks: a receiver's consumer wrapped so each call
//! counts its batch as accepted or refused, and the bridge timing. Processors
//! and exporters are counted by the pipeline itself (`pipeline.rs`), so the
//! components stay unaware of it.

use std::sync::Arc;

use async_trait::async_trait;
use tokio::time::Instant;

use super::{BridgeSeries, ReceiverSeries, Registry};
use crate::component::{ComponentId, Consumer, Signal};
use crate::context::RequestContext;
use crate::error::ProcessingError;
use crate::model::Payload;

/// What the receiver `id` calls for `signal`: counts each request's items
/// (read from the payload's header, no per-item work) by outcome.
pub struct CountedReceiver {
    registry: Arc<Registry>,
    id: ComponentId,
    inner: Arc<dyn Consumer>,
    series: Arc<ReceiverSeries>,
}

impl CountedReceiver {
    pub fn new(registry: Arc<Registry>, id: ComponentId, signal: Signal, inner: Arc<dyn Consumer>) -> Self {
        let series = registry.receiver(&id, "", signal);
        CountedReceiver {
            registry,
            id,
            inner,
            series,
        }
    }
}

#[async_trait]
impl Consumer for CountedReceiver {
    async fn consume(&self, ctx: &RequestContext, data: Payload) -> Result<(), ProcessingError> {
        let items = data.item_count();
        let r = self.inner.consume(ctx, data).await;
        self.series.record(items, &r);
        r
    }

    fn for_transport(&self, transport: &'static str) -> Option<Arc<dyn Consumer>> {
        let series = self.registry.receiver(&self.id, transport, self.series.signal);
        Some(Arc::new(CountedReceiver {
            registry: self.registry.clone(),
            id: self.id.clone(),
            inner: self.inner.clone(),
            series,
        }))
    }
}

/// The Rust end of a Go → Rust bridge: times each bridged request from the
/// bridge receiver taking it to the Rust half answering, which is what the Go
/// bridge exporter waits for on top of the socket itself.
pub struct TimedBridge {
    pub inner: Arc<dyn Consumer>,
    pub series: Arc<BridgeSeries>,
}

#[async_trait]
impl Consumer for TimedBridge {
    async fn consume(&self, ctx: &RequestContext, data: Payload) -> Result<(), ProcessingError> {
        let start = Instant::now();
        let r = self.inner.consume(ctx, data).await;
        self.series.record(start.elapsed());
        r
    }
}
