//! Component registration: each component crate adds one factory to one of these
//! linkme slices, so linking the crate (`use <crate> as _;`) is all it takes.

use std::sync::Arc;

use linkme::distributed_slice;
use serde::Serialize;

use crate::component::{ComponentId, Exporter, Extension, Processor, Receiver, Signal};
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
/// Extensions carry no signals (`signals: &[]`).
pub type ExtensionFactory = Factory<dyn Extension>;

#[distributed_slice]
pub static RECEIVERS: [ReceiverFactory];

#[distributed_slice]
pub static PROCESSORS: [ProcessorFactory];

#[distributed_slice]
pub static EXPORTERS: [ExporterFactory];

#[distributed_slice]
pub static EXTENSIONS: [ExtensionFactory];

/// Registers a component factory in its kind's slice; linking the crate is
/// then all it takes for the binary to know the type.
///
/// ```ignore
/// otelcol_core::register!(processor ADVANCED_FILTER = "advanced_filter", [Traces, Metrics, Logs], create);
/// otelcol_core::register!(extension HEALTH_CHECK = "health_check", [], create);
/// ```
#[macro_export]
macro_rules! register {
    (receiver $name:ident = $ty:literal, [$($sig:ident),*], $create:expr) => {
        $crate::register!(@slice RECEIVERS, ReceiverFactory, $name, $ty, [$($sig),*], $create);
    };
    (processor $name:ident = $ty:literal, [$($sig:ident),*], $create:expr) => {
        $crate::register!(@slice PROCESSORS, ProcessorFactory, $name, $ty, [$($sig),*], $create);
    };
    (exporter $name:ident = $ty:literal, [$($sig:ident),*], $create:expr) => {
        $crate::register!(@slice EXPORTERS, ExporterFactory, $name, $ty, [$($sig),*], $create);
    };
    (extension $name:ident = $ty:literal, [], $create:expr) => {
        $crate::register!(@slice EXTENSIONS, ExtensionFactory, $name, $ty, [], $create);
    };
    (@slice $slice:ident, $factory:ident, $name:ident, $ty:literal, [$($sig:ident),*], $create:expr) => {
        #[$crate::linkme::distributed_slice($crate::registry::$slice)]
        #[linkme(crate = $crate::linkme)]
        static $name: $crate::registry::$factory = $crate::registry::$factory {
            type_name: $ty,
            signals: &[$($crate::Signal::$sig),*],
            create: $create,
        };
    };
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Receiver,
    Processor,
    Exporter,
    Extension,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Receiver => "receiver",
            Kind::Processor => "processor",
            Kind::Exporter => "exporter",
            Kind::Extension => "extension",
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
