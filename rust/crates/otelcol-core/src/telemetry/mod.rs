//! The collector's own telemetry: logs, spans and component metrics.

pub mod logging;
pub mod metrics;
pub mod spans;
