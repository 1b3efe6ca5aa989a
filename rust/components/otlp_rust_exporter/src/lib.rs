//! Exporter `otlp_rust`: an OTLP/gRPC client (named so it cannot collide with
//! the Go collector's `otlp`/`otlp_grpc`). Retries only retryable outcomes,
//! honours the backend's RetryInfo, never waits past the request deadline, and
//! returns the final backend outcome as a ProcessingError to the caller, or,
//! with its `sending_queue` (on by default, as on Go exporters), answers once
//! the request is queued.

mod codec;
mod config;
mod exporter;

use std::sync::Arc;

use otelcol_core::config::FieldError;
use otelcol_core::queue::QueuedExporter;
use otelcol_core::{ComponentId, Exporter};

pub use config::{Compression, OtlpRustConfig, RetryConfig, Target};
pub use exporter::OtlpRustExporter;

otelcol_core::register!(exporter OTLP_RUST = "otlp_rust", [Traces, Metrics, Logs], create);

fn create(id: &ComponentId, value: serde_yaml::Value) -> Result<Arc<dyn Exporter>, FieldError> {
    let cfg = config::parse(value)?;
    let (queue, drain) = (cfg.queue.clone(), cfg.request.timeout);
    let exporter = Arc::new(OtlpRustExporter::new(id.clone(), cfg));
    // Shutdown waits up to one export timeout for the queue to drain.
    Ok(QueuedExporter::wrap(id.clone(), exporter, queue, drain))
}
