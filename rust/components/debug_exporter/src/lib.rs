//! Exporter `debug`: writes what it receives to the (JSON, stderr) log —
//! counts by default (`verbosity: basic|normal`), every item's name with
//! `verbosity: detailed`.

use std::sync::Arc;

use otelcol_core::config::{FieldError, parse_component_config};
use otelcol_core::payload::data_point_count;
use otelcol_core::registry::{EXPORTERS, ExporterFactory};
use otelcol_core::{ComponentId, Exporter, Payload, ProcessingError, RequestContext, Signal, async_trait};
use serde::Deserialize;

#[otelcol_core::linkme::distributed_slice(EXPORTERS)]
#[linkme(crate = otelcol_core::linkme)]
static DEBUG: ExporterFactory = ExporterFactory {
    type_name: "debug",
    signals: &[Signal::Traces, Signal::Metrics, Signal::Logs],
    create,
};

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum Verbosity {
    #[default]
    Basic,
    Normal,
    Detailed,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    verbosity: Verbosity,
}

fn create(id: &ComponentId, value: serde_yaml::Value) -> Result<Arc<dyn Exporter>, FieldError> {
    let raw: RawConfig = parse_component_config(value)?;
    Ok(Arc::new(DebugExporter {
        id: id.clone(),
        verbosity: raw.verbosity,
    }))
}

struct DebugExporter {
    id: ComponentId,
    verbosity: Verbosity,
}

#[async_trait]
impl Exporter for DebugExporter {
    async fn export(&self, _ctx: &RequestContext, data: Payload) -> Result<(), ProcessingError> {
        tracing::info!(exporter = %self.id, signal = %data.signal(), items = data.item_count(), "debug export");
        if self.verbosity != Verbosity::Detailed {
            return Ok(());
        }
        match &data {
            Payload::Metrics(r) => {
                for m in r
                    .resource_metrics
                    .iter()
                    .flat_map(|rm| &rm.scope_metrics)
                    .flat_map(|s| &s.metrics)
                {
                    tracing::info!(exporter = %self.id, metric = %m.name, points = data_point_count(m), "metric");
                }
            }
            Payload::Traces(r) => {
                for s in r
                    .resource_spans
                    .iter()
                    .flat_map(|rs| &rs.scope_spans)
                    .flat_map(|s| &s.spans)
                {
                    tracing::info!(exporter = %self.id, span = %s.name, "span");
                }
            }
            Payload::Logs(r) => {
                for l in r
                    .resource_logs
                    .iter()
                    .flat_map(|rl| &rl.scope_logs)
                    .flat_map(|s| &s.log_records)
                {
                    tracing::info!(exporter = %self.id, body = ?l.body, severity = %l.severity_text, "log record");
                }
            }
        }
        Ok(())
    }
}
