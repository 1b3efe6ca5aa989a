//! The collector's own component counters, counted as the Go collector's
//! receiverhelper, processorhelper and exporterhelper count them, so a Rust
//! component shows on the same series as a Go one: receivers accepted /
//! refused / failed, processors incoming / outgoing items, exporters sent /
//! send_failed / enqueue_failed.
//!
//! Counting is one relaxed atomic add per batch, done by the pipeline runtime
//! around the component calls ([`counted`]); nothing here sits inside a
//! component. [`snapshot`] reads every counter at once, for the parent
//! process (over the health socket, [`service`]) or an in-process caller.

pub mod counted;
pub mod level;
pub mod series;
pub mod service;
pub mod snapshot;

use std::sync::{Arc, Mutex, RwLock};

pub use level::Level;
pub use series::{BridgeSeries, ExporterSeries, ProcessorSeries, ReceiverSeries};
pub use snapshot::{Point, Snapshot, snapshot};

use crate::component::{ComponentId, Signal};

/// Every series of one running service. Series are created at start-up (never
/// on the data path) and shared by the wrappers that count into them.
#[derive(Default)]
pub struct Registry {
    level: Level,
    /// This registry's `(instance id, start time)`, see [`Snapshot::instance`].
    epoch: (String, u64),
    receivers: Mutex<Vec<Arc<ReceiverSeries>>>,
    processors: Mutex<Vec<Arc<ProcessorSeries>>>,
    exporters: Mutex<Vec<Arc<ExporterSeries>>>,
    bridges: Mutex<Vec<Arc<BridgeSeries>>>,
}

/// Returns the series keyed by `same`, creating it with `make` the first time:
/// a component used by several pipelines counts into one series, as in Go.
fn get_or_add<T>(list: &Mutex<Vec<Arc<T>>>, same: impl Fn(&T) -> bool, make: impl FnOnce() -> T) -> Arc<T> {
    let mut list = list.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(s) = list.iter().find(|s| same(s)) {
        return s.clone();
    }
    let s = Arc::new(make());
    list.push(s.clone());
    s
}

impl Registry {
    pub fn new(level: Level) -> Registry {
        Registry {
            level,
            epoch: snapshot::new_epoch(),
            ..Registry::default()
        }
    }

    pub fn level(&self) -> Level {
        self.level
    }

    pub fn receiver(&self, id: &ComponentId, transport: &'static str, signal: Signal) -> Arc<ReceiverSeries> {
        get_or_add(
            &self.receivers,
            |s| s.receiver == id.as_str() && s.transport == transport && s.signal == signal,
            || ReceiverSeries::new(id.as_str(), transport, signal),
        )
    }

    pub fn processor(&self, id: &ComponentId, signal: Signal) -> Arc<ProcessorSeries> {
        get_or_add(
            &self.processors,
            |s| s.processor == id.as_str() && s.signal == signal,
            || ProcessorSeries::new(id.as_str(), signal),
        )
    }

    pub fn exporter(&self, id: &ComponentId, signal: Signal) -> Arc<ExporterSeries> {
        get_or_add(
            &self.exporters,
            |s| s.exporter == id.as_str() && s.signal == signal,
            || ExporterSeries::new(id.as_str(), signal),
        )
    }

    pub fn bridge(&self, bridge: &str, direction: &'static str, signal: Signal) -> Arc<BridgeSeries> {
        get_or_add(
            &self.bridges,
            |s| s.bridge == bridge && s.signal == signal,
            || BridgeSeries::new(bridge, direction, signal),
        )
    }

    fn all<T>(list: &Mutex<Vec<Arc<T>>>) -> Vec<Arc<T>> {
        list.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// The registry of the service running in this process: one per process,
/// like the Go collector's MeterProvider. A service installs its own at start.
static CURRENT: RwLock<Option<Arc<Registry>>> = RwLock::new(None);

pub fn install(registry: Arc<Registry>) {
    *CURRENT.write().unwrap_or_else(|p| p.into_inner()) = Some(registry);
}

pub fn current() -> Option<Arc<Registry>> {
    CURRENT.read().unwrap_or_else(|p| p.into_inner()).clone()
}

/// True for the components the partitioner adds to join the two halves
/// (`<type>/bridge_<N>`): they are not the user's, so they get the bridge
/// series instead of the receiver/exporter ones and stay off the user's
/// dashboards.
pub fn bridge_name(id: &ComponentId) -> Option<&str> {
    let name = id.as_str().split_once('/')?.1;
    let n = name.strip_prefix("bridge_")?;
    (!n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())).then_some(name)
}

#[cfg(test)]
mod tests;
