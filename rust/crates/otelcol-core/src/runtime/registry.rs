//! Component registration: each component crate adds one factory to one of these
//! linkme slices, so linking the crate (`use <crate> as _;`) is all it takes.

use std::sync::Arc;

use linkme::distributed_slice;
use serde::Serialize;

use crate::component::{ComponentId, Exporter, Processor, Receiver, Signal};
// The leaf error module, not `crate::config`: config validation uses this registry.
use crate::config::error::FieldError;

/// Builds a component from its YAML. Must not bind or open anything: `validate`
/// calls it too. Errors carry a path relative to the component's own config.
pub type CreateFn<T> = fn(&ComponentId, serde_yaml::Value) -> Result<Arc<T>, FieldError>;

pub struct Factory<T: ?Sized + 'static> {
    pub type_name: &'static str,
    pub signals: &'static [Signal],
    pub create: CreateFn<T>,
}

pub type ReceiverFactory = Factory<dyn Receiver>;
pub type ProcessorFactory = Factory<dyn Processor>;
pub type ExporterFactory = Factory<dyn Exporter>;

#[distributed_slice]
pub static RECEIVERS: [ReceiverFactory];

#[distributed_slice]
pub static PROCESSORS: [ProcessorFactory];

#[distributed_slice]
pub static EXPORTERS: [ExporterFactory];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Receiver,
    Processor,
    Exporter,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Receiver => "receiver",
            Kind::Processor => "processor",
            Kind::Exporter => "exporter",
        }
    }
}

pub fn find<T: ?Sized>(slice: &'static [Factory<T>], type_name: &str) -> Option<&'static Factory<T>> {
    slice.iter().find(|f| f.type_name == type_name)
}

/// One line of `otelcol-rust components`.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct ComponentInfo {
    pub kind: &'static str,
    #[serde(rename = "type")]
    pub type_name: &'static str,
    pub signals: Vec<&'static str>,
}

/// Every linked component, sorted by kind then type so the output is stable.
pub fn list() -> Vec<ComponentInfo> {
    fn infos<T: ?Sized>(kind: Kind, slice: &'static [Factory<T>]) -> Vec<ComponentInfo> {
        let mut v: Vec<ComponentInfo> = slice
            .iter()
            .map(|f| ComponentInfo {
                kind: kind.as_str(),
                type_name: f.type_name,
                signals: f.signals.iter().map(|s| s.as_str()).collect(),
            })
            .collect();
        v.sort_by_key(|i| i.type_name);
        v
    }
    let mut all = infos(Kind::Receiver, &RECEIVERS);
    all.extend(infos(Kind::Processor, &PROCESSORS));
    all.extend(infos(Kind::Exporter, &EXPORTERS));
    all
}
