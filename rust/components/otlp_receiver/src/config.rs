//! Settings, with the Go otlpreceiver's names, defaults and meaning. Only the
//! settings implemented identically exist here; the partitioner keeps a Go
//! receiver that uses any other setting in Go.

use otelcol_core::config::receiver::present;
use otelcol_core::config::{FieldError, parse_component_config};
use otelcol_core::endpoint::ListenAddr;
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    protocols: Protocols,
}

/// `grpc:` or `http:` with no value (YAML null) enables the protocol with its
/// defaults, as in the Go receiver.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Protocols {
    #[serde(default, deserialize_with = "present")]
    grpc: Option<GrpcConfig>,
    #[serde(default, deserialize_with = "present")]
    http: Option<HttpConfig>,
}

fn default_grpc_endpoint() -> String {
    "localhost:4317".to_string()
}

fn default_http_endpoint() -> String {
    "localhost:4318".to_string()
}

fn default_max_recv() -> u64 {
    4
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GrpcConfig {
    #[serde(default = "default_grpc_endpoint")]
    endpoint: String,
    #[serde(default = "default_max_recv")]
    max_recv_msg_size_mib: u64,
    #[serde(default)]
    include_metadata: bool,
    /// Set by the partitioner on the Rust end of a Go → Rust bridge, whose one
    /// client is the Go half: requests are counted down to their items but not
    /// validated inside them, because the Go receiver already accepted them
    /// (including strings that are not UTF-8, which Go's decoder lets through).
    #[serde(default)]
    validated_sender: bool,
    /// Set by the partitioner on the Rust end of every Go → Rust bridge: each
    /// request must carry the secret the parent gave this process
    /// (otelcol_core::auth), or it is refused before reaching the pipeline.
    #[serde(default)]
    bridge_secret: bool,
}

impl Default for GrpcConfig {
    fn default() -> Self {
        GrpcConfig {
            endpoint: default_grpc_endpoint(),
            max_recv_msg_size_mib: default_max_recv(),
            include_metadata: false,
            validated_sender: false,
            bridge_secret: false,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HttpConfig {
    #[serde(default = "default_http_endpoint")]
    endpoint: String,
    #[serde(default)]
    include_metadata: bool,
    #[serde(default)]
    traces_url_path: Option<String>,
    #[serde(default)]
    metrics_url_path: Option<String>,
    #[serde(default)]
    logs_url_path: Option<String>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            endpoint: default_http_endpoint(),
            include_metadata: false,
            traces_url_path: None,
            metrics_url_path: None,
            logs_url_path: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrpcSettings {
    pub endpoint: ListenAddr,
    pub max_recv_msg_size: usize,
    pub include_metadata: bool,
    pub validated_sender: bool,
    pub bridge_secret: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpSettings {
    pub endpoint: ListenAddr,
    pub include_metadata: bool,
    pub traces_path: String,
    pub metrics_path: String,
    pub logs_path: String,
}

/// The validated receiver config: at least one protocol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtlpReceiverConfig {
    pub grpc: Option<GrpcSettings>,
    pub http: Option<HttpSettings>,
}

/// The Go receiver's rule: a path that does not start with '/' gets one.
fn url_path(field: &str, v: Option<String>, default: &str) -> Result<String, FieldError> {
    let Some(p) = v else {
        return Ok(default.to_string());
    };
    if p.is_empty() || p.contains(char::is_whitespace) {
        return Err(FieldError::new(
            format!("protocols.http.{field}"),
            "must be a non-empty URL path",
        ));
    }
    Ok(if p.starts_with('/') { p } else { format!("/{p}") })
}

pub(crate) fn parse(value: serde_yaml::Value) -> Result<OtlpReceiverConfig, FieldError> {
    let raw: RawConfig = parse_component_config(value)?;
    let grpc = match raw.protocols.grpc {
        None => None,
        Some(g) => {
            let endpoint = ListenAddr::parse(&g.endpoint).map_err(|e| FieldError::new("protocols.grpc.endpoint", e))?;
            if g.max_recv_msg_size_mib == 0 || g.max_recv_msg_size_mib > 4096 {
                return Err(FieldError::new(
                    "protocols.grpc.max_recv_msg_size_mib",
                    "must be between 1 and 4096",
                ));
            }
            Some(GrpcSettings {
                endpoint,
                max_recv_msg_size: (g.max_recv_msg_size_mib as usize) << 20,
                include_metadata: g.include_metadata,
                validated_sender: g.validated_sender,
                bridge_secret: g.bridge_secret,
            })
        }
    };
    let http = match raw.protocols.http {
        None => None,
        Some(h) => Some(HttpSettings {
            endpoint: ListenAddr::parse(&h.endpoint).map_err(|e| FieldError::new("protocols.http.endpoint", e))?,
            include_metadata: h.include_metadata,
            traces_path: url_path("traces_url_path", h.traces_url_path, "/v1/traces")?,
            metrics_path: url_path("metrics_url_path", h.metrics_url_path, "/v1/metrics")?,
            logs_path: url_path("logs_url_path", h.logs_url_path, "/v1/logs")?,
        }),
    };
    if grpc.is_none() && http.is_none() {
        return Err(FieldError::new("protocols", "must enable at least one of grpc, http"));
    }
    Ok(OtlpReceiverConfig { grpc, http })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(s: &str) -> Result<OtlpReceiverConfig, FieldError> {
        parse(serde_yaml::from_str(s).unwrap())
    }

    #[test]
    fn the_default_config_enables_both_protocols_with_go_defaults() {
        let c = parse_str("protocols: {grpc: , http: }").unwrap();
        let g = c.grpc.unwrap();
        assert_eq!(g.endpoint.to_string(), "localhost:4317");
        assert_eq!(g.max_recv_msg_size, 4 << 20);
        assert!(!g.include_metadata);
        assert!(!g.bridge_secret, "only bridges ask for the parent's secret");
        let h = c.http.unwrap();
        assert_eq!(h.endpoint.to_string(), "localhost:4318");
        assert_eq!(
            (h.traces_path.as_str(), h.metrics_path.as_str(), h.logs_path.as_str()),
            ("/v1/traces", "/v1/metrics", "/v1/logs")
        );
        let c = parse_str("protocols: {grpc: {}}").unwrap();
        assert!(c.http.is_none());
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(parse_str("protocols: {}").unwrap_err().path, "protocols");
        assert_eq!(
            parse_str("protocols: {http: {tls: {}}}").unwrap_err().path,
            "protocols.http.tls"
        );
        assert_eq!(
            parse_str("protocols: {grpc: {max_recv_msg_size_mib: 0}}")
                .unwrap_err()
                .path,
            "protocols.grpc.max_recv_msg_size_mib"
        );
        let c = parse_str("protocols: {http: {traces_url_path: t}}").unwrap();
        assert_eq!(c.http.unwrap().traces_path, "/t");
    }
}
