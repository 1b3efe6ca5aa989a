//! The raw YAML model; component bodies stay `serde_yaml::Value` until their
//! factory parses them.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use super::error::FieldError;
use crate::duration;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    #[serde(default)]
    pub receivers: BTreeMap<String, serde_yaml::Value>,
    #[serde(default)]
    pub processors: BTreeMap<String, serde_yaml::Value>,
    #[serde(default)]
    pub exporters: BTreeMap<String, serde_yaml::Value>,
    #[serde(default)]
    pub extensions: BTreeMap<String, serde_yaml::Value>,
    pub service: ServiceConfig,
}

fn default_shutdown_timeout() -> Duration {
    Duration::from_secs(10)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ServiceConfig {
    #[serde(default)]
    pub extensions: Vec<String>,
    #[serde(default)]
    pub pipelines: BTreeMap<String, RawPipeline>,
    #[serde(default = "default_shutdown_timeout", deserialize_with = "duration::deserialize")]
    pub shutdown_timeout: Duration,
    #[serde(default)]
    pub telemetry: TelemetryConfig,
    /// The memory bound of the Rust half (`runtime/admission.rs`), in MiB
    /// of request data held; unset: `DEFAULT_MEMORY_LIMIT_MIB`.
    pub memory_limit_mib: Option<u64>,
    /// Threads of the async runtime that runs every component; unset: one
    /// per CPU. Read before the runtime is built (`config::worker_threads`).
    pub worker_threads: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TelemetryConfig {
    #[serde(default)]
    pub logs: LogsConfig,
    pub traces: Option<TracesConfig>,
    #[serde(default)]
    pub metrics: MetricsConfig,
}

/// `service.telemetry.metrics`: how much the components count (the readers
/// are the parent collector's, which serves these counters with its own).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MetricsConfig {
    pub level: Option<String>,
}

/// `service.telemetry.traces`: export the collector's own spans over OTLP/gRPC.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TracesConfig {
    /// No endpoint = spans disabled.
    pub endpoint: Option<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Values are strings; YAML numbers and booleans are taken as written.
    #[serde(default)]
    pub resource: BTreeMap<String, serde_yaml::Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LogsConfig {
    pub level: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPipeline {
    #[serde(default)]
    pub receivers: Vec<String>,
    #[serde(default)]
    pub processors: Vec<String>,
    #[serde(default)]
    pub exporters: Vec<String>,
}

/// A validated pipeline: `traces|metrics|logs[/name]` and its component ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PipelineSpec {
    pub name: String,
    pub signal: crate::component::Signal,
    pub receivers: Vec<String>,
    pub processors: Vec<String>,
    pub exporters: Vec<String>,
}

pub(crate) fn parse(text: &str) -> Result<RawConfig, FieldError> {
    if text.trim().is_empty() {
        return Err(FieldError::new("", "config is empty"));
    }
    let de = serde_yaml::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(FieldError::from_serde)
}
