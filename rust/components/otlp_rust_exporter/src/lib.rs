//! Exporter `otlp_rust`: an OTLP/gRPC client (named so it cannot collide with
//! the Go collector's `otlp`/`otlp_grpc`). Retries only retryable outcomes,
//! honours the backend's RetryInfo, never waits past the request deadline, and
//! returns the final backend outcome as a ProcessingError to the caller.

mod codec;
mod config;
mod exporter;

use std::sync::Arc;

use otelcol_core::config::FieldError;
use otelcol_core::{ComponentId, Exporter};

pub use config::{Compression, OtlpRustConfig, RetryConfig, Target};
pub use exporter::OtlpRustExporter;

otelcol_core::register!(exporter OTLP_RUST = "otlp_rust", [Traces, Metrics, Logs], create);

fn create(id: &ComponentId, value: serde_yaml::Value) -> Result<Arc<dyn Exporter>, FieldError> {
    Ok(Arc::new(OtlpRustExporter::new(id.clone(), config::parse(value)?)))
}
