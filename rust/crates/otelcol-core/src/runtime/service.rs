//! Service lifecycle: span recorder → exporters → health listener → receivers →
//! SERVING; shutdown: NOT_SERVING → receivers drain → exporters flush → spans
//! flush → health listener.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use futures::future::join_all;

use crate::component::{ComponentId, Consumer, Exporter, Extension, ExtensionHost, Receiver, ReceiverHost, Signal};
use crate::config::LoadedConfig;
use crate::health::HealthState;
use crate::pipeline::{ExporterCount, Fanout, Pipeline, PipelineCounts};
use crate::runtime::admission::{self, Admitted};
use crate::telemetry::metrics::{self, Level, Registry, counted::CountedReceiver, counted::TimedBridge};

/// How long queued spans get to reach the trace endpoint at shutdown.
const SPAN_FLUSH: Duration = Duration::from_secs(1);

pub struct Service {
    cfg: LoadedConfig,
    health: HealthState,
    extensions: Vec<(ComponentId, Arc<dyn Extension>)>,
    receivers: Vec<(ComponentId, Arc<dyn Receiver>)>,
    exporters: Vec<(ComponentId, Arc<dyn Exporter>)>,
}

impl Service {
    pub async fn new(cfg: LoadedConfig) -> Service {
        Service {
            cfg,
            health: HealthState::new().await,
            extensions: vec![],
            receivers: vec![],
            exporters: vec![],
        }
    }

    pub fn health(&self) -> &HealthState {
        &self.health
    }

    pub fn shutdown_timeout(&self) -> Duration {
        self.cfg.shutdown_timeout
    }

    /// Starts everything the pipelines use; SERVING once all of it runs.
    /// Components started before a failure are left for [`Service::shutdown`].
    pub async fn start(&mut self) -> Result<(), String> {
        let used = |f: fn(&crate::config::PipelineSpec) -> &Vec<String>| {
            let mut ids: Vec<String> = self.cfg.pipelines.iter().flat_map(|p| f(p).iter().cloned()).collect();
            ids.sort();
            ids.dedup();
            ids
        };
        if let Some(traces) = &self.cfg.traces {
            crate::spans::install(traces).map_err(|e| format!("service.telemetry.traces: {e}"))?;
        }
        for key in used(|p| &p.exporters) {
            let e = &self.cfg.exporters[&key];
            e.component
                .start()
                .await
                .map_err(|err| format!("exporters.{key}: {err}"))?;
            self.exporters.push((e.id.clone(), e.component.clone()));
        }

        for (id, ext) in &self.cfg.extensions {
            let host = ExtensionHost {
                health: self.health.clone(),
            };
            ext.start(host).await.map_err(|err| format!("extensions.{id}: {err}"))?;
            self.extensions.push((id.clone(), ext.clone()));
        }

        let registry = Arc::new(Registry::new(self.cfg.metrics_level));
        metrics::install(registry.clone());
        let counting = registry.level() > Level::None;

        let budget = admission::budget().clone();
        budget.set_limit(self.cfg.memory_limit_bytes);
        let mut per_receiver: BTreeMap<String, BTreeMap<Signal, Vec<Arc<Pipeline>>>> = BTreeMap::new();
        for spec in &self.cfg.pipelines {
            let counts = if counting {
                self.pipeline_counts(&registry, spec)
            } else {
                PipelineCounts::default()
            };
            let pipeline = Arc::new(Pipeline {
                name: spec.name.clone(),
                processors: spec
                    .processors
                    .iter()
                    .map(|k| {
                        (
                            self.cfg.processors[k].id.clone(),
                            self.cfg.processors[k].component.clone(),
                        )
                    })
                    .collect(),
                exporters: spec
                    .exporters
                    .iter()
                    .map(|k| {
                        (
                            self.cfg.exporters[k].id.clone(),
                            self.cfg.exporters[k].component.clone(),
                        )
                    })
                    .collect(),
                counts,
            });
            for r in &spec.receivers {
                per_receiver
                    .entry(r.clone())
                    .or_default()
                    .entry(spec.signal)
                    .or_default()
                    .push(pipeline.clone());
            }
        }
        for (key, signals) in per_receiver {
            let consumers = signals
                .into_iter()
                .map(|(sig, list)| {
                    let id = &self.cfg.receivers[&key].id;
                    let c: Arc<dyn Consumer> = match list.as_slice() {
                        [only] if counting && metrics::bridge_name(id).is_none() => {
                            Arc::new(only.counting_receiver(&registry, id, sig))
                        }
                        [only] if !counting => only.clone(),
                        _ => {
                            let c: Arc<dyn Consumer> = if list.len() == 1 {
                                list[0].clone()
                            } else {
                                Arc::new(Fanout(list.into_iter().map(|p| p as Arc<dyn Consumer>).collect()))
                            };
                            if counting {
                                count_receiver(&registry, id, sig, c)
                            } else {
                                c
                            }
                        }
                    };
                    // Every receiver, bridge ends included, is behind the memory bound.
                    let c: Arc<dyn Consumer> = Arc::new(Admitted {
                        inner: c,
                        budget: budget.clone(),
                    });
                    (sig, c)
                })
                .collect();
            let r = &self.cfg.receivers[&key];
            let host = ReceiverHost {
                consumers,
                health: self.health.clone(),
            };
            r.component
                .start(host)
                .await
                .map_err(|err| format!("receivers.{key}: {err}"))?;
            self.receivers.push((r.id.clone(), r.component.clone()));
        }
        self.health.set_serving().await;
        tracing::info!(pipelines = self.cfg.pipelines.len(), "everything is ready, serving");
        Ok(())
    }

    /// The series of a pipeline's processors and exporters, in its order.
    fn pipeline_counts(&self, registry: &Registry, spec: &crate::config::PipelineSpec) -> PipelineCounts {
        PipelineCounts {
            receiver: None,
            processors: spec
                .processors
                .iter()
                .map(|k| registry.processor(&self.cfg.processors[k].id, spec.signal))
                .collect(),
            exporters: spec
                .exporters
                .iter()
                .map(|k| {
                    let e = &self.cfg.exporters[k];
                    match metrics::bridge_name(&e.id) {
                        Some(b) => ExporterCount::Bridge(registry.bridge(b, "rust_to_go", spec.signal)),
                        None => {
                            let series = registry.exporter(&e.id, spec.signal);
                            if e.component.count_sends(&series) {
                                ExporterCount::Itself
                            } else {
                                ExporterCount::Component(series)
                            }
                        }
                    }
                })
                .collect(),
        }
    }

    /// Returns false when draining did not finish within `service.shutdown_timeout`.
    pub async fn shutdown(self) -> bool {
        self.health.set_not_serving().await;
        let started = Instant::now();
        tracing::info!(timeout = ?self.cfg.shutdown_timeout, "shutting down: draining in-flight requests");
        let drain = async {
            join_all(self.receivers.iter().map(|(_, r)| r.shutdown())).await;
            join_all(self.exporters.iter().map(|(_, e)| e.shutdown())).await;
        };
        let clean = tokio::time::timeout(self.cfg.shutdown_timeout, drain).await.is_ok();
        if !clean {
            tracing::error!(timeout = ?self.cfg.shutdown_timeout, "shutdown timed out; in-flight requests were abandoned");
        }
        // Spans of the drained requests: at most SPAN_FLUSH, never past shutdown_timeout.
        let left = self.cfg.shutdown_timeout.saturating_sub(started.elapsed());
        crate::spans::shutdown(left.min(SPAN_FLUSH)).await;
        // Last, so a health endpoint reports NOT_SERVING for the whole drain.
        for (_, ext) in self.extensions.iter().rev() {
            ext.shutdown().await;
        }
        clean
    }
}

/// A user's receiver feeding several pipelines counts accepted / refused
/// items around their fan-out; a Go → Rust bridge receiver is the
/// partitioner's, so it is timed on its bridge instead.
fn count_receiver(
    registry: &Arc<Registry>,
    id: &ComponentId,
    signal: Signal,
    c: Arc<dyn Consumer>,
) -> Arc<dyn Consumer> {
    match metrics::bridge_name(id) {
        Some(b) => Arc::new(TimedBridge {
            inner: c,
            series: registry.bridge(b, "go_to_rust", signal),
        }),
        None => Arc::new(CountedReceiver::new(registry.clone(), id.clone(), signal, c)),
    }
}
