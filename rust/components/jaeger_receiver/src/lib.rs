//! Receiver `jaeger`: spans from Jaeger clients and agents, translated to
//! OTLP exactly as the collector-contrib jaegerreceiver translates them.
//! - gRPC: `jaeger.api_v2.CollectorService/PostSpans`, with grpc.health.v1
//!   on the same listener;
//! - `thrift_http`: `POST /api/traces`, a Thrift-binary `Batch`;
//! - `thrift_compact` / `thrift_binary`: the agent's UDP `emitBatch`.
//!
//! Thrift is decoded by a small bounded reader (`thrift_wire`) rather than a
//! Thrift library, because every length in it is the sender's to choose.

mod attrs;
mod config;
mod grpc;
mod http;
mod ingest;
pub mod proto;
mod receiver;
mod thrift_model;
mod thrift_wire;
mod translate;
mod udp;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use otelcol_core::config::FieldError;
use otelcol_core::{ComponentId, Receiver};

pub use config::JaegerReceiverConfig;
pub use ingest::StatsSnapshot;
pub use receiver::JaegerReceiver;

otelcol_core::register!(receiver JAEGER = "jaeger", [Traces], create);

fn create(id: &ComponentId, value: serde_yaml::Value) -> Result<Arc<dyn Receiver>, FieldError> {
    let cfg = config::parse(value)?;
    Ok(Arc::new(JaegerReceiver::new(id.clone(), cfg)))
}
