//! The traits every component implements and the identifiers that name them.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use crate::context::RequestContext;
use crate::error::ProcessingError;
use crate::health::HealthState;
use crate::model::Payload;
pub use crate::model::Signal;

/// A component id as written in the config: `type[/name]`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ComponentId {
    full: String,
    type_len: usize,
}

impl ComponentId {
    /// Parses `type[/name]`; the type must be non-empty and made of `[A-Za-z0-9_]`.
    pub fn parse(s: &str) -> Result<ComponentId, String> {
        let (ty, name) = match s.split_once('/') {
            Some((t, n)) => (t, Some(n)),
            None => (s, None),
        };
        if ty.is_empty() || !ty.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!(
                "invalid component id {s:?}: the type must be non-empty and contain only letters, digits and '_'"
            ));
        }
        if name == Some("") {
            return Err(format!("invalid component id {s:?}: empty name after '/'"));
        }
        Ok(ComponentId {
            full: s.to_string(),
            type_len: ty.len(),
        })
    }

    pub fn type_name(&self) -> &str {
        &self.full[..self.type_len]
    }

    pub fn as_str(&self) -> &str {
        &self.full
    }
}

impl fmt::Display for ComponentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.full)
    }
}

/// Anything that accepts a batch: a pipeline, or the fan-out to several pipelines.
#[async_trait]
pub trait Consumer: Send + Sync {
    /// Returns only once the data was delivered downstream or permanently dropped,
    /// so a receiver can answer its caller with the real outcome.
    async fn consume(&self, ctx: &RequestContext, data: Payload) -> Result<(), ProcessingError>;

    /// The consumer a receiver's `transport` listener (`grpc`, `http`…) should
    /// call instead, when this one counts per transport; `None`: use this one.
    fn for_transport(&self, _transport: &'static str) -> Option<Arc<dyn Consumer>> {
        None
    }
}

/// `consumer` as the `transport` listener of a receiver should call it, so the
/// collector's receiver counters carry the transport as Go's do.
pub fn consumer_for_transport(consumer: &Arc<dyn Consumer>, transport: &'static str) -> Arc<dyn Consumer> {
    consumer.for_transport(transport).unwrap_or_else(|| consumer.clone())
}

#[async_trait]
pub trait Processor: Send + Sync {
    /// `Ok(None)` means everything was dropped on purpose: the request is acknowledged
    /// without reaching the exporters.
    async fn process(&self, ctx: &RequestContext, data: Payload) -> Result<Option<Payload>, ProcessingError>;
}

#[async_trait]
pub trait Exporter: Send + Sync {
    /// Opens files, channels…; a failure is a runtime failure of the collector.
    async fn start(&self) -> Result<(), String> {
        Ok(())
    }

    async fn export(&self, ctx: &RequestContext, data: Payload) -> Result<(), ProcessingError>;

    /// Flushes whatever is buffered; called after every receiver has drained.
    async fn shutdown(&self) {}

    /// Takes the collector's counters of this exporter for one signal and
    /// counts into them itself: an exporter whose `export` answers before
    /// sending (a sending queue) counts sends when they happen, and queue
    /// refusals as enqueue failures. `false`: the pipeline counts around `export`.
    fn count_sends(&self, _series: &Arc<crate::telemetry::metrics::ExporterSeries>) -> bool {
        false
    }
}

/// What a receiver gets when it starts: where to send each signal, and the
/// shared health state to serve on its listeners.
#[derive(Clone)]
pub struct ReceiverHost {
    pub consumers: BTreeMap<Signal, Arc<dyn Consumer>>,
    pub health: HealthState,
}

#[async_trait]
pub trait Receiver: Send + Sync {
    /// Binds and starts serving; returns once the listener is bound.
    async fn start(&self, host: ReceiverHost) -> Result<(), String>;

    /// Stops accepting and waits for in-flight requests; the caller bounds the wait.
    async fn shutdown(&self);
}

/// What an extension gets when it starts: the service's shared health state.
#[derive(Clone)]
pub struct ExtensionHost {
    pub health: HealthState,
}

/// A component outside the pipelines (health endpoint, …), started before the
/// exporters and receivers and stopped after them.
#[async_trait]
pub trait Extension: Send + Sync {
    async fn start(&self, host: ExtensionHost) -> Result<(), String>;

    async fn shutdown(&self) {}
}
