use std::collections::BTreeMap;
use std::time::Duration;

use otelcol_core::config::{FieldError, parse_component_config};
use otelcol_core::duration;
use serde::Deserialize;
use tonic::metadata::{AsciiMetadataKey, AsciiMetadataValue};

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Compression {
    None,
    /// The Go otlpexporter's default.
    #[default]
    Gzip,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TlsConfig {
    #[serde(default)]
    insecure: bool,
}

/// `retry_on_failure`, with the Go exporterhelper's defaults.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RetryConfig {
    pub enabled: bool,
    #[serde(deserialize_with = "duration::deserialize")]
    pub initial_interval: Duration,
    #[serde(deserialize_with = "duration::deserialize")]
    pub max_interval: Duration,
    /// Zero means no limit (like Go).
    #[serde(deserialize_with = "duration::deserialize")]
    pub max_elapsed_time: Duration,
    pub multiplier: f64,
    pub randomization_factor: f64,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            enabled: true,
            initial_interval: Duration::from_secs(5),
            max_interval: Duration::from_secs(30),
            max_elapsed_time: Duration::from_secs(300),
            multiplier: 1.5,
            randomization_factor: 0.5,
        }
    }
}

fn default_timeout() -> Duration {
    Duration::from_secs(5)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    endpoint: String,
    #[serde(default)]
    tls: TlsConfig,
    #[serde(default = "default_timeout", deserialize_with = "duration::deserialize")]
    timeout: Duration,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    forward_metadata: Vec<String>,
    #[serde(default)]
    retry_on_failure: RetryConfig,
    #[serde(default)]
    compression: Compression,
}

/// Where to connect (shared with the span exporter: `otelcol_core::endpoint`).
pub use otelcol_core::endpoint::Target;

#[derive(Clone, Debug)]
pub struct OtlpRustConfig {
    pub target: Target,
    pub timeout: Duration,
    pub headers: Vec<(AsciiMetadataKey, AsciiMetadataValue)>,
    pub forward_metadata: Vec<AsciiMetadataKey>,
    /// `forward_metadata: ["*"]`: forward every client-metadata key (what the
    /// partitioner sets on Rust → Go bridges).
    pub forward_all_metadata: bool,
    pub retry: RetryConfig,
    pub compression: Compression,
}

fn target(endpoint: &str, insecure: bool) -> Result<Target, FieldError> {
    let parsed = Target::parse(endpoint, "otlp_rust").map_err(|e| FieldError::new("endpoint", e))?;
    if !parsed.scheme_given && !insecure {
        return Err(FieldError::new(
            "tls.insecure",
            "TLS is not supported by otlp_rust yet; set tls.insecure: true for host:port endpoints",
        ));
    }
    Ok(parsed.target)
}

pub(crate) fn parse(value: serde_yaml::Value) -> Result<OtlpRustConfig, FieldError> {
    let raw: RawConfig = parse_component_config(value)?;
    let target = target(&raw.endpoint, raw.tls.insecure)?;
    if raw.timeout.is_zero() {
        return Err(FieldError::new("timeout", "must be greater than zero"));
    }
    let mut headers = Vec::new();
    for (k, v) in &raw.headers {
        let key = k
            .to_ascii_lowercase()
            .parse::<AsciiMetadataKey>()
            .map_err(|_| FieldError::new(format!("headers.{k}"), "invalid header name"))?;
        let val = v
            .parse::<AsciiMetadataValue>()
            .map_err(|_| FieldError::new(format!("headers.{k}"), "invalid header value"))?;
        headers.push((key, val));
    }
    let mut forward_metadata = Vec::new();
    let forward_all_metadata = raw.forward_metadata.iter().any(|k| k == "*");
    for (i, k) in raw.forward_metadata.iter().enumerate() {
        if k == "*" {
            continue;
        }
        let key = k
            .to_ascii_lowercase()
            .parse::<AsciiMetadataKey>()
            .map_err(|_| FieldError::new(format!("forward_metadata[{i}]"), format!("invalid metadata key {k:?}")))?;
        forward_metadata.push(key);
    }
    let r = &raw.retry_on_failure;
    if r.enabled
        && (r.initial_interval.is_zero() || r.multiplier < 1.0 || !(0.0..=1.0).contains(&r.randomization_factor))
    {
        return Err(FieldError::new(
            "retry_on_failure",
            "initial_interval must be > 0, multiplier >= 1 and randomization_factor within [0, 1]",
        ));
    }
    Ok(OtlpRustConfig {
        target,
        timeout: raw.timeout,
        headers,
        forward_metadata,
        forward_all_metadata,
        retry: raw.retry_on_failure,
        compression: raw.compression,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(yaml: &str) -> Result<OtlpRustConfig, FieldError> {
        parse(serde_yaml::from_str(yaml).unwrap())
    }

    #[test]
    fn endpoint_forms() {
        assert_eq!(
            p("endpoint: unix:///tmp/b.sock").unwrap().target,
            Target::Unix("/tmp/b.sock".into())
        );
        assert_eq!(
            p("endpoint: http://h:4317").unwrap().target,
            Target::Http("http://h:4317".into())
        );
        assert_eq!(
            p("endpoint: h:4317\ntls: {insecure: true}").unwrap().target,
            Target::Http("http://h:4317".into())
        );
        assert_eq!(p("endpoint: h:4317").err().unwrap().path, "tls.insecure");
        assert_eq!(p("endpoint: https://h:4317").err().unwrap().path, "endpoint");
        assert_eq!(p("endpoint: nohost").err().unwrap().path, "endpoint");
    }

    #[test]
    fn defaults_match_go() {
        let c = p("endpoint: unix:///x").unwrap();
        assert_eq!(c.timeout, Duration::from_secs(5));
        assert_eq!(c.retry, RetryConfig::default());
        assert_eq!(c.compression, Compression::Gzip);
    }

    #[test]
    fn field_errors_have_paths() {
        assert_eq!(
            p("endpoint: unix:///x\nretry_on_failure: {initial_intervall: 1s}")
                .err()
                .unwrap()
                .path,
            "retry_on_failure.initial_intervall"
        );
        assert_eq!(p("endpoint: unix:///x\ntimeout: 5").err().unwrap().path, "timeout");
        assert_eq!(
            p("endpoint: unix:///x\ncompression: zstd").err().unwrap().path,
            "compression"
        );
        assert_eq!(
            p("endpoint: unix:///x\nforward_metadata: ['bad key']")
                .err()
                .unwrap()
                .path,
            "forward_metadata[0]"
        );
    }

    #[test]
    fn star_forwards_every_key() {
        let c = p("endpoint: unix:///x\nforward_metadata: ['*', 'X-Tenant']").unwrap();
        assert!(c.forward_all_metadata);
        assert_eq!(c.forward_metadata.len(), 1);
        assert_eq!(c.forward_metadata[0].as_str(), "x-tenant");
        assert!(!p("endpoint: unix:///x").unwrap().forward_all_metadata);
    }
}
