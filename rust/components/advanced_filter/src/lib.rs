//! Processor `advanced_filter`: drops metrics, spans and log records whose
//! name (log: string body) matches exact names or `*`/`?` globs, then removes
//! the scopes and resources left empty.

use std::sync::Arc;

use opentelemetry_proto::tonic::common::v1::any_value::Value;
use otelcol_core::config::{FieldError, parse_component_config};
use otelcol_core::glob::NameMatcher;
use otelcol_core::registry::{PROCESSORS, ProcessorFactory};
use otelcol_core::{ComponentId, Payload, ProcessingError, Processor, RequestContext, Signal, async_trait};
use serde::Deserialize;

#[otelcol_core::linkme::distributed_slice(PROCESSORS)]
#[linkme(crate = otelcol_core::linkme)]
static ADVANCED_FILTER: ProcessorFactory = ProcessorFactory {
    type_name: "advanced_filter",
    signals: &[Signal::Traces, Signal::Metrics, Signal::Logs],
    create,
};

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

    /// Filters in place; returns `None` when nothing is left.
    pub fn filter(&self, mut data: Payload) -> Option<Payload> {
        match &mut data {
            Payload::Metrics(r) if !self.metrics.is_empty() => {
                r.resource_metrics.retain_mut(|rm| {
                    rm.scope_metrics.retain_mut(|sm| {
                        sm.metrics.retain(|m| !self.metrics.matches(&m.name));
                        !sm.metrics.is_empty()
                    });
                    !rm.scope_metrics.is_empty()
                });
            }
            Payload::Traces(r) if !self.spans.is_empty() => {
                r.resource_spans.retain_mut(|rs| {
                    rs.scope_spans.retain_mut(|ss| {
                        ss.spans.retain(|s| !self.spans.matches(&s.name));
                        !ss.spans.is_empty()
                    });
                    !rs.scope_spans.is_empty()
                });
            }
            Payload::Logs(r) if !self.logs.is_empty() => {
                r.resource_logs.retain_mut(|rl| {
                    rl.scope_logs.retain_mut(|sl| {
                        sl.log_records
                            .retain(|l| match l.body.as_ref().and_then(|b| b.value.as_ref()) {
                                Some(Value::StringValue(s)) => !self.logs.matches(s),
                                _ => true,
                            });
                        !sl.log_records.is_empty()
                    });
                    !rl.scope_logs.is_empty()
                });
            }
            _ => {}
        }
        let empty = match &data {
            Payload::Metrics(r) => r.resource_metrics.is_empty(),
            Payload::Traces(r) => r.resource_spans.is_empty(),
            Payload::Logs(r) => r.resource_logs.is_empty(),
        };
        (!empty).then_some(data)
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
