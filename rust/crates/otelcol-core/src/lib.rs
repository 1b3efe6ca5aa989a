//! Core of `otelcol-rust`: the config model, the linkme component registry,
//! the pipeline runtime, the per-request context and the error model shared
//! by every component crate.
//!
//! Component crates register themselves into [`registry`] slices; the binary
//! links them with `use <crate> as _;` and drives a [`service::Service`].

pub mod component;
pub mod config;
pub mod context;
pub mod duration;
pub mod endpoint;
pub mod error;
pub mod glob;
pub mod grpc_layers;
pub mod health;
pub mod health_check;
pub mod logging;
pub mod model;
pub mod pipeline;
pub mod registry;
pub mod service;
pub mod spans;

pub use component::{ComponentId, Consumer, Exporter, Processor, Receiver, ReceiverHost, Signal};
pub use context::{ClientMetadata, RequestContext, TraceContext};
pub use error::ProcessingError;
pub use model::Payload;

/// Re-exported so component crates use the exact same versions as the core.
pub use async_trait::async_trait;
pub use linkme;
pub use opentelemetry_proto;
