use std::collections::BTreeMap;
use std::time::Duration;

use otelcol_core::config::exporter::{QueueConfig, parse_forward_metadata, parse_headers};
pub use otelcol_core::config::exporter::RetryConfig;
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
    #[serde(default)]
    sending_queue: QueueConfig,
    #[serde(default)]
    bridge_secret: bool,
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
    pub queue: QueueConfig,
    /// Set by the partitioner on the Rust end of every Rust → Go bridge: each
    /// request carries the secret the parent gave this process
    /// (otelcol_core::auth), which the Go bridge receiver requires.
    pub bridge_secret: bool,
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
    let headers = parse_headers(&raw.headers)?;
    let (forward_metadata, forward_all_metadata) = parse_forward_metadata(&raw.forward_metadata)?;
    raw.retry_on_failure.validate()?;
    raw.sending_queue.validate()?;
    Ok(OtlpRustConfig {
        target,
        timeout: raw.timeout,
        headers,
        forward_metadata,
        forward_all_metadata,
        retry: raw.retry_on_failure,
        compression: raw.compression,
        queue: raw.sending_queue,
        bridge_secret: raw.bridge_secret,
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
