//! The collector's own telemetry: logs and spans.

pub mod logging;
pub mod spans;
