//! Exporter `debug`: writes what it receives to the (JSON, stderr) log —
//! counts by default (`verbosity: basic|normal`), every item's name with
//! `verbosity: detailed`.

use std::sync::Arc;

use otelcol_core::config::{FieldError, parse_component_config};
use otelcol_core::{ComponentId, Exporter, Payload, ProcessingError, RequestContext, async_trait};
use serde::Deserialize;

otelcol_core::register!(exporter DEBUG = "debug", [Traces, Metrics, Logs], create);

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
        for item in data.items() {
            if let Some(m) = item.as_metric() {
                tracing::info!(exporter = %self.id, metric = %m.name(), points = m.point_count(), "metric");
            } else if let Some(s) = item.as_span() {
                tracing::info!(exporter = %self.id, span = %s.name(), "span");
            } else if let Some(l) = item.as_log() {
                let body = l.body().and_then(|b| b.as_str()).unwrap_or("");
                tracing::info!(exporter = %self.id, body = %body, severity = %l.severity_text(), "log record");
            }
        }
        Ok(())
    }
}
