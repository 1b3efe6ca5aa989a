//! Listening and connecting: endpoints (unix sockets and TCP), the gRPC
//! layers every server shares, and the health service.

pub mod endpoint;
pub mod grpc_layers;
pub mod health;
pub mod health_check;
