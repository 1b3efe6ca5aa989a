//! Exporter `otap`: the OpenTelemetry Arrow Protocol over gRPC. One
//! bidirectional stream per signal (or `arrow.num_streams` of them), Arrow IPC
//! state per stream, data acknowledged upstream only once its BatchStatus is
//! OK. Servers without the Arrow services get plain OTLP instead, as the Go
//! otelarrowexporter does.

mod config;
pub mod encode;
mod exporter;
mod headers;
mod insecure_tls;
mod otlp;
mod stream;
mod zstd_level;

use std::sync::Arc;

use otelcol_core::config::FieldError;
use otelcol_core::{ComponentId, Exporter};

pub use config::{
    ArrowConfig, Compression, Destination, OtapConfig, PayloadCompression, RetryConfig, TlsDestination, ZstdLevel,
};
pub use exporter::OtapExporter;

otelcol_core::register!(exporter OTAP = "otap", [Traces, Metrics, Logs], create);

fn create(id: &ComponentId, value: serde_yaml::Value) -> Result<Arc<dyn Exporter>, FieldError> {
    Ok(Arc::new(OtapExporter::new(id.clone(), config::parse(value)?)))
}
