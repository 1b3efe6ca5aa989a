use otelcol_core::config::{FieldError, parse_component_config};
use otelcol_core::endpoint::ListenAddr;
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    protocols: Protocols,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Protocols {
    grpc: GrpcConfig,
}

fn default_endpoint() -> String {
    "localhost:4317".to_string()
}

fn default_max_recv() -> u64 {
    64
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GrpcConfig {
    #[serde(default = "default_endpoint")]
    endpoint: String,
    #[serde(default = "default_max_recv")]
    max_recv_msg_size_mib: u64,
}

/// The validated receiver config.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtlpReceiverConfig {
    pub endpoint: ListenAddr,
    pub max_recv_msg_size: usize,
}

pub(crate) fn parse(value: serde_yaml::Value) -> Result<OtlpReceiverConfig, FieldError> {
    let raw: RawConfig = parse_component_config(value)?;
    let g = raw.protocols.grpc;
    let endpoint = ListenAddr::parse(&g.endpoint).map_err(|e| FieldError::new("protocols.grpc.endpoint", e))?;
    if g.max_recv_msg_size_mib == 0 || g.max_recv_msg_size_mib > 4096 {
        return Err(FieldError::new(
            "protocols.grpc.max_recv_msg_size_mib",
            "must be between 1 and 4096",
        ));
    }
    Ok(OtlpReceiverConfig {
        endpoint,
        max_recv_msg_size: (g.max_recv_msg_size_mib as usize) << 20,
    })
}
