//! Settings, named like the Go otelarrowexporter's where they mean the same
//! thing; `headers`, `forward_metadata`, `timeout` and `retry_on_failure`
//! behave exactly as on otlp_rust.

use std::collections::BTreeMap;
use std::time::Duration;

pub use crate::zstd_level::ZstdLevel;
pub use otelcol_core::config::exporter::RetryConfig;
use otelcol_core::config::exporter::{RequestSettings, default_timeout};
use otelcol_core::config::{FieldError, parse_component_config};
use otelcol_core::duration;
use otelcol_core::endpoint::Target;
use serde::Deserialize;

/// gRPC message compression, of the Arrow streams and of the OTLP fallback.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Compression {
    None,
    Gzip,
    /// The Go otelarrowexporter's default.
    #[default]
    Zstd,
}

/// Compression of the Arrow IPC buffers inside each record (`arrow.payload_compression`).
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PayloadCompression {
    /// The Go default: gRPC compression already covers the whole message.
    #[default]
    None,
    Zstd,
}

/// `tls`, with configtls's names: the system roots plus `ca_file`, a client
/// certificate for mutual TLS, and the name checked in the server certificate.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct TlsConfig {
    insecure: bool,
    /// TLS without checking the server's chain or name (Go's InsecureSkipVerify).
    insecure_skip_verify: bool,
    ca_file: Option<String>,
    cert_file: Option<String>,
    key_file: Option<String>,
    server_name_override: Option<String>,
}

/// Where the exporter connects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Destination {
    Plain(Target),
    Tls(TlsDestination),
}

#[derive(Clone, PartialEq, Eq)]
pub struct TlsDestination {
    /// `https://host:port`
    pub uri: String,
    /// `tls.insecure_skip_verify`: any certificate is accepted.
    pub skip_verify: bool,
    pub ca_pem: Option<Vec<u8>>,
    /// Client certificate and key (PEM), for mutual TLS.
    pub identity: Option<(Vec<u8>, Vec<u8>)>,
    pub server_name: Option<String>,
}

impl std::fmt::Debug for TlsDestination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key material.
        f.debug_struct("TlsDestination")
            .field("uri", &self.uri)
            .field("skip_verify", &self.skip_verify)
            .field("ca", &self.ca_pem.is_some())
            .field("client_cert", &self.identity.is_some())
            .field("server_name", &self.server_name)
            .finish()
    }
}

impl Destination {
    /// A channel that connects on first use; needs a running runtime.
    pub fn connect_lazy(&self) -> Result<tonic::transport::Channel, String> {
        use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity};
        match self {
            Destination::Plain(t) => t.connect_lazy(),
            Destination::Tls(t) if t.skip_verify => {
                let config = crate::insecure_tls::client_config(t.identity.as_ref())?;
                // The connector encrypts; tonic must not try TLS again, so
                // the endpoint it sees is http://.
                let plain = t.uri.replacen("https://", "http://", 1);
                Ok(Endpoint::from_shared(plain)
                    .map_err(|e| format!("endpoint {}: {e}", t.uri))?
                    .connect_with_connector_lazy(crate::insecure_tls::connector(config, t.server_name.clone())))
            }
            Destination::Tls(t) => {
                let mut tls = ClientTlsConfig::new().with_native_roots();
                if let Some(ca) = &t.ca_pem {
                    tls = tls.ca_certificate(Certificate::from_pem(ca));
                }
                if let Some((cert, key)) = &t.identity {
                    tls = tls.identity(Identity::from_pem(cert, key));
                }
                if let Some(name) = &t.server_name {
                    tls = tls.domain_name(name.clone());
                }
                Ok(Endpoint::from_shared(t.uri.clone())
                    .map_err(|e| format!("endpoint {}: {e}", t.uri))?
                    .tcp_nodelay(true)
                    .tls_config(tls)
                    .map_err(|e| format!("endpoint {}: {e}", t.uri))?
                    .connect_lazy())
            }
        }
    }
}

fn read(field: &str, path: &Option<String>) -> Result<Option<Vec<u8>>, FieldError> {
    path.as_ref()
        .map(|p| std::fs::read(p).map_err(|e| FieldError::new(field, format!("cannot read {p:?}: {e}"))))
        .transpose()
}

/// `https://` (or a bare host:port without `tls.insecure`) means TLS, as in
/// the Go exporters; `http://` and `unix://` are plaintext.
fn destination(endpoint: &str, tls: &TlsConfig) -> Result<Destination, FieldError> {
    // insecure_skip_verify alone does not count: Go ignores it on a
    // plaintext endpoint, and configs often carry it beside `insecure: true`.
    let tls_files_given = tls.ca_file.is_some() || tls.cert_file.is_some() || tls.server_name_override.is_some();
    let hostport = match endpoint.strip_prefix("https://") {
        Some(h) => Some(h.trim_end_matches('/')),
        None if !endpoint.contains("://") && !tls.insecure => Some(endpoint),
        None => None,
    };
    let Some(hostport) = hostport else {
        if tls_files_given {
            return Err(FieldError::new(
                "tls",
                format!("{endpoint:?} is a plaintext endpoint; use https:// for TLS"),
            ));
        }
        let parsed = Target::parse(endpoint, "otap").map_err(|e| FieldError::new("endpoint", e))?;
        return Ok(Destination::Plain(parsed.target));
    };
    // The same host:port rules as plaintext endpoints.
    Target::parse(hostport, "otap").map_err(|e| FieldError::new("endpoint", e))?;
    if tls.insecure {
        return Err(FieldError::new(
            "tls.insecure",
            "cannot be true for an https:// endpoint",
        ));
    }
    let identity = match (
        read("tls.cert_file", &tls.cert_file)?,
        read("tls.key_file", &tls.key_file)?,
    ) {
        (Some(c), Some(k)) => Some((c, k)),
        (None, None) => None,
        _ => return Err(FieldError::new("tls", "cert_file and key_file go together")),
    };
    Ok(Destination::Tls(TlsDestination {
        uri: format!("https://{hostport}"),
        skip_verify: tls.insecure_skip_verify,
        ca_pem: read("tls.ca_file", &tls.ca_file)?,
        identity,
        server_name: tls.server_name_override.clone(),
    }))
}

#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct RawArrow {
    num_streams: usize,
    #[serde(deserialize_with = "duration::deserialize")]
    max_stream_lifetime: Duration,
    payload_compression: PayloadCompression,
    /// Send plain OTLP only.
    disabled: bool,
    /// Fail instead of falling back to OTLP when the server lacks the Arrow services.
    disable_downgrade: bool,
    /// Level and window of `compression: zstd`.
    zstd: RawZstd,
}

/// `arrow.zstd`, with the Go exporter's names and ranges.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct RawZstd {
    /// 1–10; 0 means the default (5).
    level: i32,
    /// A power of two, 1–1024; 0 keeps zstd's window for the level.
    window_size_mib: u32,
    /// Go's encoder goroutines per message. Accepted for the same config to
    /// load; each Rust stream compresses its own messages on its own task, so
    /// it changes nothing here, as it changes no bytes in Go.
    concurrency: u32,
}

impl RawZstd {
    fn resolve(&self) -> Result<ZstdLevel, FieldError> {
        let level = match self.level {
            0 => crate::zstd_level::DEFAULT_LEVEL,
            l if crate::zstd_level::LEVELS.contains(&l) => l,
            l => return Err(FieldError::new("arrow.zstd.level", format!("{l} is outside 1..10"))),
        };
        let window_log = match self.window_size_mib {
            0 => None,
            w if w.is_power_of_two() && w <= 1024 => Some(20 + w.trailing_zeros()),
            w => {
                return Err(FieldError::new(
                    "arrow.zstd.window_size_mib",
                    format!("{w} is not a power of two between 1 and 1024"),
                ));
            }
        };
        Ok(ZstdLevel { level, window_log })
    }
}

fn default_num_streams() -> usize {
    // The Go exporter's default: half the CPUs, at least one.
    std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1))
}

impl Default for RawArrow {
    fn default() -> Self {
        RawArrow {
            num_streams: default_num_streams(),
            max_stream_lifetime: Duration::from_secs(30),
            payload_compression: PayloadCompression::None,
            disabled: false,
            disable_downgrade: false,
            zstd: RawZstd::default(),
        }
    }
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
    arrow: RawArrow,
}

#[derive(Clone, Debug)]
pub struct ArrowConfig {
    pub num_streams: usize,
    pub max_stream_lifetime: Duration,
    pub payload_compression: PayloadCompression,
    pub disabled: bool,
    pub disable_downgrade: bool,
    /// How `compression: zstd` compresses.
    pub zstd: ZstdLevel,
}

#[derive(Clone, Debug)]
pub struct OtapConfig {
    pub destination: Destination,
    /// `timeout`, `headers`, `forward_metadata` (sent with each batch) and
    /// `retry_on_failure`.
    pub request: RequestSettings,
    pub compression: Compression,
    pub arrow: ArrowConfig,
}

pub(crate) fn parse(value: serde_yaml::Value) -> Result<OtapConfig, FieldError> {
    let raw: RawConfig = parse_component_config(value)?;
    let destination = destination(&raw.endpoint, &raw.tls)?;
    let request = RequestSettings::resolve(raw.timeout, &raw.headers, &raw.forward_metadata, raw.retry_on_failure)?;
    if raw.arrow.num_streams == 0 {
        return Err(FieldError::new("arrow.num_streams", "must be at least 1"));
    }
    if raw.arrow.max_stream_lifetime.is_zero() {
        return Err(FieldError::new(
            "arrow.max_stream_lifetime",
            "must be greater than zero",
        ));
    }
    let zstd = raw.arrow.zstd.resolve()?;
    Ok(OtapConfig {
        destination,
        request,
        compression: raw.compression,
        arrow: ArrowConfig {
            num_streams: raw.arrow.num_streams,
            max_stream_lifetime: raw.arrow.max_stream_lifetime,
            payload_compression: raw.arrow.payload_compression,
            disabled: raw.arrow.disabled,
            disable_downgrade: raw.arrow.disable_downgrade,
            zstd,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(yaml: &str) -> Result<OtapConfig, FieldError> {
        parse(serde_yaml::from_str(yaml).unwrap())
    }

    #[test]
    fn defaults_match_go() {
        let c = p("endpoint: http://h:4317").unwrap();
        assert_eq!(c.request.timeout, Duration::from_secs(5));
        assert_eq!(c.compression, Compression::Zstd);
        assert_eq!(c.arrow.max_stream_lifetime, Duration::from_secs(30));
        assert_eq!(c.arrow.payload_compression, PayloadCompression::None);
        assert!(c.arrow.num_streams >= 1);
        assert_eq!(c.request.retry, RetryConfig::default());
        assert!(!c.arrow.disabled && !c.arrow.disable_downgrade);
    }

    #[test]
    fn endpoint_forms() {
        let d = |y: &str| p(y).unwrap().destination;
        assert_eq!(d("endpoint: unix:///s"), Destination::Plain(Target::Unix("/s".into())));
        assert_eq!(
            d("endpoint: http://h:1"),
            Destination::Plain(Target::Http("http://h:1".into()))
        );
        assert_eq!(
            d("endpoint: h:1\ntls: {insecure: true}"),
            Destination::Plain(Target::Http("http://h:1".into()))
        );
        for tls in ["endpoint: https://h:1", "endpoint: h:1"] {
            match d(tls) {
                Destination::Tls(t) => assert_eq!(t.uri, "https://h:1"),
                other => panic!("{tls}: {other:?}"),
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, "pem").unwrap();
        match d(&format!(
            "endpoint: https://h:1\ntls: {{ca_file: {}, server_name_override: x.test}}",
            ca.display()
        )) {
            Destination::Tls(t) => {
                assert_eq!(t.ca_pem.as_deref(), Some(&b"pem"[..]));
                assert_eq!(t.server_name.as_deref(), Some("x.test"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn arrow_settings() {
        let c = p("endpoint: unix:///x\narrow: {num_streams: 3, max_stream_lifetime: 2m, payload_compression: zstd}")
            .unwrap();
        assert_eq!(c.arrow.num_streams, 3);
        assert_eq!(c.arrow.max_stream_lifetime, Duration::from_secs(120));
        assert_eq!(c.arrow.payload_compression, PayloadCompression::Zstd);
        assert_eq!(
            c.arrow.zstd,
            ZstdLevel {
                level: 5,
                window_log: None
            },
            "Go's default level"
        );
        let z = p("endpoint: unix:///x\narrow: {zstd: {level: 9, window_size_mib: 32, concurrency: 4}}").unwrap();
        assert_eq!(
            z.arrow.zstd,
            ZstdLevel {
                level: 9,
                window_log: Some(25)
            }
        );
    }

    #[test]
    fn insecure_skip_verify_is_tls_without_the_chain_check() {
        let Destination::Tls(t) = p("endpoint: https://h:4317\ntls: {insecure_skip_verify: true}")
            .unwrap()
            .destination
        else {
            panic!("https:// is TLS")
        };
        assert!(t.skip_verify);
        // Ignored on a plaintext endpoint, as in Go.
        assert!(matches!(
            p("endpoint: h:1\ntls: {insecure: true, insecure_skip_verify: true}")
                .unwrap()
                .destination,
            Destination::Plain(_)
        ));
    }

    #[test]
    fn unknown_and_bad_fields_have_paths() {
        let path = |y: &str| p(y).err().unwrap().path;
        assert_eq!(path("endpoint: unix:///x\narrow: {num_stream: 2}"), "arrow.num_stream");
        assert_eq!(
            path("endpoint: unix:///x\narrow: {num_streams: 0}"),
            "arrow.num_streams"
        );
        assert_eq!(
            path("endpoint: unix:///x\narrow: {max_stream_lifetime: 0s}"),
            "arrow.max_stream_lifetime"
        );
        assert_eq!(
            path("endpoint: unix:///x\narrow: {zstd: {level: 11}}"),
            "arrow.zstd.level"
        );
        assert_eq!(
            path("endpoint: unix:///x\narrow: {zstd: {window_size_mib: 3}}"),
            "arrow.zstd.window_size_mib"
        );
        assert_eq!(path("endpoint: unix:///x\narrow: {zstd: {levl: 3}}"), "arrow.zstd.levl");
        assert_eq!(path("endpoint: unix:///x\ncompression: lz4"), "compression");
        assert_eq!(
            path("endpoint: unix:///x\nretry_on_failure: {multiplyer: 2}"),
            "retry_on_failure.multiplyer"
        );
        assert_eq!(path("endpoint: https://nohost"), "endpoint");
        assert_eq!(path("endpoint: https://h:4317\ntls: {insecure: true}"), "tls.insecure");
        assert_eq!(
            path("endpoint: https://h:4317\ntls: {ca_file: /nonexistent/ca.pem}"),
            "tls.ca_file"
        );
        assert_eq!(path("endpoint: http://h:4317\ntls: {ca_file: /x.pem}"), "tls");
        assert_eq!(
            path("endpoint: https://h:4317\ntls: {cert_file: /x.pem}"),
            "tls.cert_file"
        );
        assert_eq!(path("endpoint: unix:///x\ntls: {insecur: true}"), "tls.insecur");
        assert_eq!(
            path("endpoint: unix:///x\nforward_metadata: ['bad key']"),
            "forward_metadata[0]"
        );
        assert_eq!(path("endpoint: unix:///x\nendpoints: y"), "endpoints");
    }
}
