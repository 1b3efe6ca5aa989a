//! Listening and connecting: endpoints (unix sockets and TCP), the gRPC
//! layers every server shares, the health service, and the bridge secret.

pub mod auth;
pub mod endpoint;
pub mod grpc_layers;
pub mod health;
pub mod health_check;
pub mod http1;
pub mod serving;
