//! The pipeline runtime: a direct async call chain receiver → processors →
//! exporters (joined), so backpressure is natural and a receiver only answers
//! once every exporter has finished.

use std::sync::Arc;

use async_trait::async_trait;
use futures::future::join_all;

use crate::component::{ComponentId, Consumer, Exporter, Processor};
use crate::context::RequestContext;
use crate::error::ProcessingError;
use crate::model::Payload;
use crate::telemetry::metrics::{BridgeSeries, ExporterSeries, ProcessorSeries, ReceiverSeries, Registry};

#[derive(Clone)]
pub struct Pipeline {
    pub name: String,
    pub processors: Vec<(ComponentId, Arc<dyn Processor>)>,
    pub exporters: Vec<(ComponentId, Arc<dyn Exporter>)>,
    /// The collector's own counters of those components; empty when
    /// `service.telemetry.metrics.level` is `none`.
    pub counts: PipelineCounts,
}

/// Series in the order of `processors` and `exporters`.
#[derive(Clone, Default)]
pub struct PipelineCounts {
    /// The receiver's, when it feeds this pipeline alone: counted here, it
    /// costs no extra call per request (a receiver feeding several pipelines
    /// is counted by a wrapper around their fan-out instead).
    pub receiver: Option<ReceiverCount>,
    pub processors: Vec<Arc<ProcessorSeries>>,
    pub exporters: Vec<ExporterCount>,
}

#[derive(Clone)]
pub struct ReceiverCount {
    pub registry: Arc<Registry>,
    pub id: ComponentId,
    pub series: Arc<ReceiverSeries>,
}

#[derive(Clone)]
pub enum ExporterCount {
    /// A user's exporter: sent / send_failed items.
    Component(Arc<ExporterSeries>),
    /// A Rust → Go bridge exporter: its round trip, on the bridge's histogram.
    Bridge(Arc<BridgeSeries>),
    /// An exporter that counts its own sends (`Exporter::count_sends`).
    Itself,
}

impl ExporterCount {
    async fn around(
        count: Option<&ExporterCount>,
        export: impl Future<Output = Result<(), ProcessingError>>,
        items: usize,
    ) -> Result<(), ProcessingError> {
        match count {
            None | Some(ExporterCount::Itself) => export.await,
            Some(ExporterCount::Component(s)) => {
                let r = export.await;
                s.record(items, &r);
                r
            }
            Some(ExporterCount::Bridge(s)) => {
                let start = tokio::time::Instant::now();
                let r = export.await;
                s.record(start.elapsed());
                r
            }
        }
    }
}

impl Pipeline {
    /// This pipeline as the receiver `id`'s only consumer of its signal,
    /// counting that receiver's accepted / refused items.
    pub fn counting_receiver(&self, registry: &Arc<Registry>, id: &ComponentId, signal: crate::Signal) -> Pipeline {
        let mut p = self.clone();
        p.counts.receiver = Some(ReceiverCount {
            registry: registry.clone(),
            id: id.clone(),
            series: registry.receiver(id, "", signal),
        });
        p
    }

    async fn run(&self, ctx: &RequestContext, mut data: Payload) -> Result<(), ProcessingError> {
        for (i, (id, p)) in self.processors.iter().enumerate() {
            let incoming = data.item_count();
            let r = p.process(ctx, data).await;
            if let Some(s) = self.counts.processors.get(i) {
                s.record(
                    incoming,
                    r.as_ref().map_or(0, |d| d.as_ref().map_or(0, Payload::item_count)),
                );
            }
            match r {
                Ok(Some(d)) => data = d,
                Ok(None) => return Ok(()),
                Err(e) => {
                    tracing::debug!(pipeline = %self.name, processor = %id, error = %e, "processor rejected data");
                    return Err(e);
                }
            }
        }
        let last = self.exporters.len().saturating_sub(1);
        let mut pending = Vec::with_capacity(self.exporters.len());
        let mut data = Some(data);
        for (i, (id, e)) in self.exporters.iter().enumerate() {
            // The last exporter takes the batch itself: one clone fewer.
            let d = if i == last {
                data.take().expect("data kept for the last exporter")
            } else {
                data.clone().expect("data kept")
            };
            let count = self.counts.exporters.get(i);
            let items = d.item_count();
            pending.push(async move { (id, ExporterCount::around(count, e.export(ctx, d), items).await) });
        }
        let results = join_all(pending).await;
        let errors = results
            .into_iter()
            .filter_map(|(id, r)| {
                r.err().inspect(|e| {
                    tracing::warn!(pipeline = %self.name, exporter = %id, error = %e, "export failed");
                })
            })
            .collect();
        combine(errors)
    }
}

#[async_trait]
impl Consumer for Pipeline {
    async fn consume(&self, ctx: &RequestContext, data: Payload) -> Result<(), ProcessingError> {
        let Some(rc) = &self.counts.receiver else {
            return self.run(ctx, data).await;
        };
        let items = data.item_count();
        let r = self.run(ctx, data).await;
        rc.series.record(items, &r);
        r
    }

    fn for_transport(&self, transport: &'static str) -> Option<Arc<dyn Consumer>> {
        let rc = self.counts.receiver.as_ref()?;
        let mut p = self.clone();
        p.counts.receiver = Some(ReceiverCount {
            series: rc.registry.receiver(&rc.id, transport, rc.series.signal),
            ..rc.clone()
        });
        Some(Arc::new(p))
    }
}

/// Fan-out from one receiver to every pipeline of the same signal.
pub struct Fanout(pub Vec<Arc<dyn Consumer>>);

#[async_trait]
impl Consumer for Fanout {
    async fn consume(&self, ctx: &RequestContext, data: Payload) -> Result<(), ProcessingError> {
        if let [only] = self.0.as_slice() {
            return only.consume(ctx, data).await;
        }
        let results = join_all(self.0.iter().map(|c| c.consume(ctx, data.clone()))).await;
        combine(results.into_iter().filter_map(Result::err).collect())
    }
}

/// Several failures make one answer. A retryable failure wins over a permanent
/// one: retrying may duplicate data in the branches that succeeded, but never
/// drops it in the branch that could still deliver.
pub fn combine(mut errors: Vec<ProcessingError>) -> Result<(), ProcessingError> {
    if errors.is_empty() {
        return Ok(());
    }
    let pos = errors.iter().position(|e| !e.is_permanent()).unwrap_or(0);
    Err(errors.swap_remove(pos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combine_prefers_retryable() {
        assert!(combine(vec![]).is_ok());
        let e = combine(vec![ProcessingError::permanent("p"), ProcessingError::retryable("r")]).unwrap_err();
        assert_eq!(e.kind(), "retryable");
        let e = combine(vec![ProcessingError::permanent("p")]).unwrap_err();
        assert_eq!(e.kind(), "permanent");
    }
}
