//! Settings, with the contrib jaegerreceiver's names and defaults:
//! `protocols.grpc`, `protocols.thrift_http`, `protocols.thrift_compact` and
//! `protocols.thrift_binary`, each with an `endpoint`; the UDP ones also take
//! `queue_size`, `max_packet_size` and `workers`. A protocol key with no
//! value enables it with its defaults, as in Go.

use otelcol_core::config::receiver::present;
use otelcol_core::config::{FieldError, parse_component_config};
use otelcol_core::endpoint::ListenAddr;
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    protocols: Protocols,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Protocols {
    #[serde(default, deserialize_with = "present")]
    grpc: Option<Endpoint<Grpc>>,
    #[serde(default, deserialize_with = "present")]
    thrift_http: Option<Endpoint<ThriftHttp>>,
    #[serde(default, deserialize_with = "present")]
    thrift_compact: Option<Udp<Compact>>,
    #[serde(default, deserialize_with = "present")]
    thrift_binary: Option<Udp<Binary>>,
}

/// A protocol's default endpoint (the contrib factory's).
trait DefaultEndpoint {
    const ENDPOINT: &'static str;
}
#[derive(Clone, Debug, Default)]
struct Grpc;
#[derive(Clone, Debug, Default)]
struct ThriftHttp;
#[derive(Clone, Debug, Default)]
struct Compact;
#[derive(Clone, Debug, Default)]
struct Binary;
impl DefaultEndpoint for Grpc {
    const ENDPOINT: &'static str = "localhost:14250";
}
impl DefaultEndpoint for ThriftHttp {
    const ENDPOINT: &'static str = "localhost:14268";
}
impl DefaultEndpoint for Compact {
    const ENDPOINT: &'static str = "localhost:6831";
}
impl DefaultEndpoint for Binary {
    const ENDPOINT: &'static str = "localhost:6832";
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct Endpoint<P: DefaultEndpoint> {
    endpoint: String,
    #[serde(skip)]
    _p: std::marker::PhantomData<P>,
}

impl<P: DefaultEndpoint> Default for Endpoint<P> {
    fn default() -> Self {
        Endpoint {
            endpoint: P::ENDPOINT.to_string(),
            _p: std::marker::PhantomData,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct Udp<P: DefaultEndpoint> {
    endpoint: String,
    queue_size: i64,
    max_packet_size: i64,
    workers: i64,
    #[serde(skip)]
    _p: std::marker::PhantomData<P>,
}

impl<P: DefaultEndpoint> Default for Udp<P> {
    fn default() -> Self {
        Udp {
            endpoint: P::ENDPOINT.to_string(),
            queue_size: 1_000,
            max_packet_size: 65_000,
            workers: 10,
            _p: std::marker::PhantomData,
        }
    }
}

/// A UDP agent endpoint: `host:port` and how datagrams are queued.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UdpSettings {
    pub endpoint: String,
    pub queue_size: usize,
    pub max_packet_size: usize,
    pub workers: usize,
}

/// The validated receiver config: at least one protocol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JaegerReceiverConfig {
    pub grpc: Option<ListenAddr>,
    pub thrift_http: Option<ListenAddr>,
    pub thrift_compact: Option<UdpSettings>,
    pub thrift_binary: Option<UdpSettings>,
}

fn udp<P: DefaultEndpoint>(name: &str, u: Udp<P>) -> Result<UdpSettings, FieldError> {
    let field = |f: &str| format!("protocols.{name}.{f}");
    // UDP has no unix-socket form: host:port only, as the Go receiver checks.
    match u.endpoint.rsplit_once(':') {
        Some((_, port)) if port.parse::<u16>().is_ok() => {}
        _ => {
            return Err(FieldError::new(
                field("endpoint"),
                format!("{:?} must be host:port", u.endpoint),
            ));
        }
    }
    let positive = |v: i64, f: &str, max: i64| {
        if v <= 0 || v > max {
            Err(FieldError::new(field(f), format!("must be between 1 and {max}")))
        } else {
            Ok(v as usize)
        }
    };
    Ok(UdpSettings {
        endpoint: u.endpoint,
        queue_size: positive(u.queue_size, "queue_size", 1 << 20)?,
        // The largest UDP payload there is.
        max_packet_size: positive(u.max_packet_size, "max_packet_size", 65_507)?,
        workers: positive(u.workers, "workers", 1024)?,
    })
}

pub(crate) fn parse(value: serde_yaml::Value) -> Result<JaegerReceiverConfig, FieldError> {
    let raw: RawConfig = parse_component_config(value)?;
    let p = raw.protocols;
    let listen = |name: &str, e: String| {
        ListenAddr::parse(&e).map_err(|m| FieldError::new(format!("protocols.{name}.endpoint"), m))
    };
    let cfg = JaegerReceiverConfig {
        grpc: p.grpc.map(|g| listen("grpc", g.endpoint)).transpose()?,
        thrift_http: p.thrift_http.map(|h| listen("thrift_http", h.endpoint)).transpose()?,
        thrift_compact: p.thrift_compact.map(|u| udp("thrift_compact", u)).transpose()?,
        thrift_binary: p.thrift_binary.map(|u| udp("thrift_binary", u)).transpose()?,
    };
    if cfg.grpc.is_none() && cfg.thrift_http.is_none() && cfg.thrift_compact.is_none() && cfg.thrift_binary.is_none() {
        return Err(FieldError::new(
            "protocols",
            "must enable at least one of grpc, thrift_http, thrift_compact, thrift_binary",
        ));
    }
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(s: &str) -> Result<JaegerReceiverConfig, FieldError> {
        parse(serde_yaml::from_str(s).unwrap())
    }

    #[test]
    fn protocols_without_settings_take_the_go_defaults() {
        let c = parse_str("protocols: {grpc: , thrift_http: , thrift_compact: , thrift_binary: }").unwrap();
        assert_eq!(c.grpc.unwrap().to_string(), "localhost:14250");
        assert_eq!(c.thrift_http.unwrap().to_string(), "localhost:14268");
        let u = c.thrift_compact.unwrap();
        assert_eq!(
            (u.endpoint.as_str(), u.queue_size, u.max_packet_size, u.workers),
            ("localhost:6831", 1000, 65000, 10)
        );
        assert_eq!(c.thrift_binary.unwrap().endpoint, "localhost:6832");
        let c = parse_str("protocols: {thrift_compact: {max_packet_size: 1000}}").unwrap();
        assert!(c.grpc.is_none());
        assert_eq!(c.thrift_compact.unwrap().max_packet_size, 1000);
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(parse_str("protocols: {}").unwrap_err().path, "protocols");
        assert_eq!(
            parse_str("protocols: {grpc: {tls: {}}}").unwrap_err().path,
            "protocols.grpc.tls"
        );
        assert_eq!(
            parse_str("protocols: {thrift_compact: {endpoint: 'unix:///x'}}")
                .unwrap_err()
                .path,
            "protocols.thrift_compact.endpoint"
        );
        assert_eq!(
            parse_str("protocols: {thrift_binary: {max_packet_size: 70000}}")
                .unwrap_err()
                .path,
            "protocols.thrift_binary.max_packet_size"
        );
        assert_eq!(
            parse_str("protocols: {zipkin: {}}").unwrap_err().path,
            "protocols.zipkin"
        );
    }
}
