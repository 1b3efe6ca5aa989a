//! The pipeline runtime: component traits, the registry of linked
//! components, pipelines (receiver → processors → exporters), exporters'
//! sending queues, and the service that starts and stops them in order.

pub mod admission;
pub mod component;
pub mod pipeline;
pub mod queue;
pub mod registry;
pub mod service;
pub mod spool;
