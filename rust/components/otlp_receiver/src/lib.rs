//! Receiver `otlp`: OTLP/gRPC and OTLP/HTTP (traces, metrics, logs) on
//! `unix:///path` or `host:port`, with grpc.health.v1 on the gRPC listener. Each RPC is answered
//! only after the pipelines finished with the data (delivered or dropped on
//! purpose), with the pipeline's ProcessingError mapped to the gRPC status.

mod config;
mod grpc;
mod handler;
mod http;
mod receiver;

use std::sync::Arc;

use otelcol_core::config::FieldError;
use otelcol_core::{ComponentId, Receiver};

pub use config::OtlpReceiverConfig;
pub use receiver::OtlpReceiver;

otelcol_core::register!(receiver OTLP = "otlp", [Traces, Metrics, Logs], create);

fn create(id: &ComponentId, value: serde_yaml::Value) -> Result<Arc<dyn Receiver>, FieldError> {
    let cfg = config::parse(value)?;
    Ok(Arc::new(OtlpReceiver::new(id.clone(), cfg)))
}
