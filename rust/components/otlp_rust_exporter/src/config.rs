use std::collections::BTreeMap;
use std::time::Duration;

pub use otelcol_core::config::exporter::RetryConfig;
use otelcol_core::config::exporter::{QueueConfig, RequestSettings, default_timeout};
use otelcol_core::config::{FieldError, parse_component_config};
use otelcol_core::duration;
use serde::Deserialize;

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
    /// `timeout`, `headers`, `forward_metadata` and `retry_on_failure`.
    pub request: RequestSettings,
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
    let request = RequestSettings::resolve(raw.timeout, &raw.headers, &raw.forward_metadata, raw.retry_on_failure)?;
    raw.sending_queue.validate()?;
    Ok(OtlpRustConfig {
        target,
        request,
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
        assert_eq!(c.request.timeout, Duration::from_secs(5));
        assert_eq!(c.request.retry, RetryConfig::default());
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
        assert!(c.request.forward_all_metadata);
        assert_eq!(c.request.forward_metadata.len(), 1);
        assert_eq!(c.request.forward_metadata[0].as_str(), "x-tenant");
        assert!(!p("endpoint: unix:///x").unwrap().request.forward_all_metadata);
    }
}
