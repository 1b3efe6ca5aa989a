//! Core of `otelcol-rust`: the data model (encoded payloads and their views),
//! the config model, the linkme component registry, the pipeline runtime, the
//! per-request context and the error model shared by every component crate.
//!
//! Component crates register themselves into [`registry`] slices; the binary
//! links them with `use <crate> as _;` and drives a [`service::Service`].

// Layers, bottom up: the data model; config parsing; the request context and
// error model; the pipeline runtime; networking; the collector's own telemetry.
pub mod config;
pub mod context;
pub mod error;
pub mod model;
pub mod net;
pub mod runtime;
pub mod telemetry;

// The paths component crates name most, kept short.
pub use config::{duration, glob};
pub use net::{auth, endpoint, grpc_layers, health, health_check};
pub use runtime::{component, pipeline, queue, registry, service, spool};
pub use telemetry::{logging, spans};

pub use component::{ComponentId, Consumer, Exporter, Processor, Receiver, ReceiverHost, Signal};
pub use context::{ClientMetadata, RequestContext, TraceContext};
pub use error::ProcessingError;
pub use model::Payload;

/// Re-exported so component crates use the exact same versions as the core.
pub use async_trait::async_trait;
pub use linkme;
pub use opentelemetry_proto;
