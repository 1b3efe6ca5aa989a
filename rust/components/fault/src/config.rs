use std::collections::BTreeMap;
use std::time::Duration;

use otelcol_core::config::{FieldError, parse_component_config};
use otelcol_core::glob::{Glob, NameMatcher};
use otelcol_core::model::Attributes;
use otelcol_core::{ClientMetadata, Payload, ProcessingError, duration};
use serde::Deserialize;

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    Permanent,
    Retryable,
    Cancelled,
    Timeout,
    ResourceExhausted,
    Configuration,
    /// Panics instead of returning an error: proves a panicking component
    /// fails only its own request (gRPC Internal) and the collector stays up.
    Panic,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    error: Option<ErrorKind>,
    #[serde(default, deserialize_with = "duration::deserialize_opt")]
    retry_after: Option<Duration>,
    message: Option<String>,
    every_nth: Option<u64>,
    times: Option<u64>,
    #[serde(default, deserialize_with = "duration::deserialize_opt")]
    delay: Option<Duration>,
    #[serde(default)]
    metric_names: Vec<String>,
    #[serde(default)]
    span_names: Vec<String>,
    #[serde(default)]
    resource_attributes: BTreeMap<String, String>,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
    #[serde(default)]
    metadata: BTreeMap<String, String>,
}

/// Which items trigger the error: any match in the batch fails the request.
#[derive(Debug)]
pub struct Selector {
    metric_names: NameMatcher,
    span_names: NameMatcher,
    resource_attributes: BTreeMap<String, String>,
    attributes: BTreeMap<String, String>,
    /// Client metadata key (any case) → glob any one of its values must match.
    metadata: Vec<(String, Glob)>,
}

fn has_attr(attrs: Attributes<'_>, want: &BTreeMap<String, String>) -> bool {
    !want.is_empty()
        && attrs
            .iter()
            .any(|(k, v)| want.get(k).is_some_and(|w| v.as_str() == Some(w.as_str())))
}

impl Selector {
    /// True when every `metadata` entry has a matching value (keys compared
    /// case-insensitively, each of a key's values tried) — `false` when there
    /// are no metadata entries.
    pub fn matches_metadata(&self, md: &ClientMetadata) -> bool {
        !self.metadata.is_empty()
            && self
                .metadata
                .iter()
                .all(|(k, g)| md.get(k).iter().any(|v| g.matches(v)))
    }

    pub fn matches(&self, md: &ClientMetadata, data: &Payload) -> bool {
        self.matches_metadata(md) || self.matches_data(data)
    }

    fn matches_data(&self, data: &Payload) -> bool {
        let (ra, a) = (&self.resource_attributes, &self.attributes);
        data.resources().any(|r| {
            has_attr(r.attributes(), ra)
                || r.scopes().flat_map(|s| s.items()).any(|item| {
                    if let Some(m) = item.as_metric() {
                        self.metric_names.matches(m.name()) || has_attr(m.metadata(), a)
                    } else if let Some(sp) = item.as_span() {
                        self.span_names.matches(sp.name()) || has_attr(sp.attributes(), a)
                    } else {
                        item.as_log().is_some_and(|l| has_attr(l.attributes(), a))
                    }
                })
        })
    }
}

#[derive(Debug)]
pub struct FaultConfig {
    pub error: Option<ErrorKind>,
    pub retry_after: Option<Duration>,
    pub message: String,
    pub every_nth: Option<u64>,
    /// Fault at most this many requests, then let everything through.
    pub times: Option<u64>,
    pub delay: Option<Duration>,
    pub selector: Option<Selector>,
}

impl FaultConfig {
    pub fn make_error(&self) -> ProcessingError {
        let message = self.message.clone();
        match self.error.expect("make_error only called when an error is configured") {
            ErrorKind::Permanent => ProcessingError::Permanent { message, code: None },
            ErrorKind::Retryable => ProcessingError::Retryable { message, code: None },
            ErrorKind::Cancelled => ProcessingError::Cancelled { message },
            ErrorKind::Timeout => ProcessingError::Timeout { message },
            ErrorKind::ResourceExhausted => ProcessingError::ResourceExhausted {
                message,
                retry_after: self.retry_after,
            },
            ErrorKind::Configuration => ProcessingError::Configuration { message },
            ErrorKind::Panic => panic!("fault processor: {message}"),
        }
    }
}

pub(crate) fn parse(value: serde_yaml::Value) -> Result<FaultConfig, FieldError> {
    let raw: RawConfig = parse_component_config(value)?;
    let names =
        |field: &str, v: &[String]| NameMatcher::new(v).map_err(|(i, e)| FieldError::new(format!("{field}[{i}]"), e));
    let metric_names = names("metric_names", &raw.metric_names)?;
    let span_names = names("span_names", &raw.span_names)?;
    if raw.every_nth == Some(0) {
        return Err(FieldError::new("every_nth", "must be at least 1"));
    }
    if raw.times == Some(0) {
        return Err(FieldError::new("times", "must be at least 1"));
    }
    let mut metadata = Vec::new();
    for (k, v) in &raw.metadata {
        let g = Glob::new(v).map_err(|e| FieldError::new(format!("metadata.{k}"), e))?;
        metadata.push((k.to_ascii_lowercase(), g));
    }
    if raw.retry_after.is_some() && raw.error != Some(ErrorKind::ResourceExhausted) {
        return Err(FieldError::new(
            "retry_after",
            "only applies to error: resource_exhausted",
        ));
    }
    let selector = (!metric_names.is_empty()
        || !span_names.is_empty()
        || !raw.resource_attributes.is_empty()
        || !raw.attributes.is_empty()
        || !metadata.is_empty())
    .then_some(Selector {
        metric_names,
        span_names,
        resource_attributes: raw.resource_attributes,
        attributes: raw.attributes,
        metadata,
    });
    if raw.error.is_none() && (selector.is_some() || raw.every_nth.is_some()) {
        return Err(FieldError::new("error", "required when selectors or every_nth are set"));
    }
    if raw.error.is_none() && raw.delay.is_none() {
        return Err(FieldError::new("error", "set at least one of error or delay"));
    }
    Ok(FaultConfig {
        error: raw.error,
        retry_after: raw.retry_after,
        message: raw
            .message
            .unwrap_or_else(|| "injected by the fault processor".to_string()),
        every_nth: raw.every_nth,
        times: raw.times,
        delay: raw.delay,
        selector,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(yaml: &str) -> Result<FaultConfig, FieldError> {
        parse(serde_yaml::from_str(yaml).unwrap())
    }

    #[test]
    fn rejects_inconsistent_settings_with_paths() {
        assert_eq!(p("{error: retryable, every_nth: 0}").err().unwrap().path, "every_nth");
        assert_eq!(
            p("{error: permanent, retry_after: 1s}").err().unwrap().path,
            "retry_after"
        );
        assert_eq!(p("{metric_names: [x]}").err().unwrap().path, "error");
        assert_eq!(p("{error: boom}").err().unwrap().path, "error");
        assert_eq!(
            p("{error: permanent, metric_names: [\"a[\"]}").err().unwrap().path,
            "metric_names[0]"
        );
        assert!(p("{}").is_err(), "a fault that does nothing is a mistake");
    }

    #[test]
    fn builds_the_configured_error() {
        let c = p("{error: resource_exhausted, retry_after: 3s, message: busy}").unwrap();
        let e = c.make_error();
        assert_eq!(
            (e.kind(), e.message(), e.retry_after()),
            ("resource_exhausted", "busy", Some(Duration::from_secs(3)))
        );
        assert_eq!(p("{delay: 1s}").unwrap().delay, Some(Duration::from_secs(1)));
        assert_eq!(p("{error: retryable, times: 2}").unwrap().times, Some(2));
        assert_eq!(p("{error: retryable, times: 0}").err().unwrap().path, "times");
    }

    #[test]
    fn metadata_selector_is_case_insensitive_multi_valued_and_globbed() {
        let c = p("{error: permanent, metadata: {X-Tenant: blocked, user-agent: \"p5/*\"}}").unwrap();
        let sel = c.selector.as_ref().unwrap();
        let mut md = ClientMetadata::new();
        md.append("x-tenant", "ok");
        md.append("X-TENANT", "blocked");
        assert!(!sel.matches_metadata(&md), "every metadata entry must match");
        md.append("User-Agent", "p5/1.0 grpc-go/1.76");
        assert!(sel.matches_metadata(&md));
        let mut other = ClientMetadata::new();
        other.append("x-tenant", "ok");
        other.append("user-agent", "p5/1.0");
        assert!(!sel.matches_metadata(&other));
        assert_eq!(
            p("{error: permanent, metadata: {k: \"a[\"}}").err().unwrap().path,
            "metadata.k"
        );
    }
}
