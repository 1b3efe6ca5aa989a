//! Processor `advanced_filter`: drops metrics, spans and log records whose
//! name (log: string body) matches exact names or `*`/`?` globs, then removes
//! the scopes and resources left empty.

use std::sync::Arc;

use otelcol_core::config::{FieldError, parse_component_config};
use otelcol_core::glob::NameMatcher;
use otelcol_core::{ComponentId, Payload, ProcessingError, Processor, RequestContext, Signal, async_trait};
use serde::Deserialize;

otelcol_core::register!(processor ADVANCED_FILTER = "advanced_filter", [Traces, Metrics, Logs], create);

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    drop_metrics: Vec<String>,
    #[serde(default)]
    drop_spans: Vec<String>,
    #[serde(default)]
    drop_logs: Vec<String>,
}

pub struct AdvancedFilter {
    metrics: NameMatcher,
    spans: NameMatcher,
    logs: NameMatcher,
}

fn matcher(field: &str, patterns: &[String]) -> Result<NameMatcher, FieldError> {
    NameMatcher::new(patterns).map_err(|(i, e)| FieldError::new(format!("{field}[{i}]"), e))
}

fn create(_id: &ComponentId, value: serde_yaml::Value) -> Result<Arc<dyn Processor>, FieldError> {
    let raw: RawConfig = parse_component_config(value)?;
    Ok(Arc::new(AdvancedFilter::new(
        &raw.drop_metrics,
        &raw.drop_spans,
        &raw.drop_logs,
    )?))
}

impl AdvancedFilter {
    pub fn new(drop_metrics: &[String], drop_spans: &[String], drop_logs: &[String]) -> Result<Self, FieldError> {
        Ok(AdvancedFilter {
            metrics: matcher("drop_metrics", drop_metrics)?,
            spans: matcher("drop_spans", drop_spans)?,
            logs: matcher("drop_logs", drop_logs)?,
        })
    }

    /// Drops matching items on the wire; returns `None` when nothing is left.
    /// A signal without patterns passes unchanged (only a request with no
    /// resource at all is dropped, as before).
    pub fn filter(&self, data: Payload) -> Option<Payload> {
        let kept = match data.signal() {
            Signal::Metrics if !self.metrics.is_empty() => data.retain(|i| !self.metrics.matches(i.name())),
            Signal::Traces if !self.spans.is_empty() => data.retain(|i| !self.spans.matches(i.name())),
            Signal::Logs if !self.logs.is_empty() => data.retain(|i| {
                // Only string bodies are matched; other bodies always pass.
                match i.as_log().and_then(|l| l.body()).and_then(|b| b.as_str()) {
                    Some(body) => !self.logs.matches(body),
                    None => true,
                }
            }),
            _ => Some(data),
        };
        kept.filter(|d| !d.has_no_resources())
    }
}

#[async_trait]
impl Processor for AdvancedFilter {
    async fn process(&self, _ctx: &RequestContext, data: Payload) -> Result<Option<Payload>, ProcessingError> {
        Ok(self.filter(data))
    }
}

#[cfg(test)]
mod tests;
