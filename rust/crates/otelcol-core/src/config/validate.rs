//! From the raw model to a validated config with every component created:
//! unknown types, undefined references, unsupported signals and empty
//! pipelines are reported with the pipeline and component they concern.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use super::error::FieldError;
use super::model::{PipelineSpec, RawConfig, TracesConfig};
use crate::component::{ComponentId, Exporter, Extension, Processor, Receiver, Signal};
use crate::endpoint::Target;
use crate::registry::{self, Factory, Kind};
use crate::spans::SpanExportConfig;

pub struct Created<T: ?Sized> {
    pub id: ComponentId,
    pub signals: &'static [Signal],
    pub component: Arc<T>,
}

/// A config that passed validation, its components created but not started.
pub struct LoadedConfig {
    pub receivers: BTreeMap<String, Created<dyn Receiver>>,
    pub processors: BTreeMap<String, Created<dyn Processor>>,
    pub exporters: BTreeMap<String, Created<dyn Exporter>>,
    pub pipelines: Vec<PipelineSpec>,
    /// Extensions both defined and listed in `service.extensions`, in that order.
    pub extensions: Vec<(ComponentId, Arc<dyn Extension>)>,
    pub shutdown_timeout: Duration,
    pub log_level: Option<String>,
    /// `service.telemetry.traces` with an endpoint; `None` = spans disabled.
    pub traces: Option<SpanExportConfig>,
    /// `service.telemetry.metrics.level`; `normal` when unset, as in Go.
    pub metrics_level: crate::telemetry::metrics::Level,
    /// `service.memory_limit_mib` in bytes: the request data the Rust half holds at most.
    pub memory_limit_bytes: u64,
    /// `service.worker_threads`: the async runtime's size, which the process
    /// has already applied (see `config::worker_threads`); `None`: one per CPU.
    pub worker_threads: Option<usize>,
}

fn create_all<T: ?Sized>(
    section: &str,
    kind: Kind,
    slice: &'static [Factory<T>],
    values: BTreeMap<String, serde_yaml::Value>,
) -> Result<BTreeMap<String, Created<T>>, FieldError> {
    let mut out = BTreeMap::new();
    for (key, value) in values {
        let at = format!("{section}.{key}");
        let id = ComponentId::parse(&key).map_err(|e| FieldError::new(&at, e))?;
        let Some(factory) = registry::find(slice, id.type_name()) else {
            let mut known: Vec<&str> = slice.iter().map(|f| f.type_name).collect();
            known.sort();
            return Err(FieldError::new(
                &at,
                format!(
                    "unknown {} type {:?} (known: {})",
                    kind.as_str(),
                    id.type_name(),
                    known.join(", ")
                ),
            ));
        };
        let component = (factory.create)(&id, value).map_err(|e| e.under(&at))?;
        out.insert(
            key,
            Created {
                id,
                signals: factory.signals,
                component,
            },
        );
    }
    Ok(out)
}

fn check_refs<T: ?Sized>(
    at: &str,
    kind: Kind,
    signal: Signal,
    refs: &[String],
    defined: &BTreeMap<String, Created<T>>,
    required: bool,
) -> Result<(), FieldError> {
    if required && refs.is_empty() {
        return Err(FieldError::new(at, format!("pipeline has no {}s", kind.as_str())));
    }
    for (i, r) in refs.iter().enumerate() {
        let item = format!("{at}[{i}]");
        let Some(c) = defined.get(r) else {
            return Err(FieldError::new(item, format!("{} {r:?} is not defined", kind.as_str())));
        };
        if !c.signals.contains(&signal) {
            return Err(FieldError::new(
                item,
                format!("{} {r:?} does not support {signal}", kind.as_str()),
            ));
        }
        if refs[..i].contains(r) {
            return Err(FieldError::new(
                item,
                format!("{} {r:?} is listed twice", kind.as_str()),
            ));
        }
    }
    Ok(())
}

pub(crate) fn build(raw: RawConfig) -> Result<LoadedConfig, FieldError> {
    let receivers = create_all("receivers", Kind::Receiver, &registry::RECEIVERS, raw.receivers)?;
    let processors = create_all("processors", Kind::Processor, &registry::PROCESSORS, raw.processors)?;
    let exporters = create_all("exporters", Kind::Exporter, &registry::EXPORTERS, raw.exporters)?;

    let mut defined = create_all("extensions", Kind::Extension, &registry::EXTENSIONS, raw.extensions)?;
    let mut extensions = Vec::new();
    for (i, ext) in raw.service.extensions.iter().enumerate() {
        match defined.remove(ext) {
            Some(e) => extensions.push((e.id, e.component)),
            None => {
                return Err(FieldError::new(
                    format!("service.extensions[{i}]"),
                    format!("extension {ext:?} is not defined under extensions (or listed twice)"),
                ));
            }
        }
    }

    if raw.service.pipelines.is_empty() {
        return Err(FieldError::new("service.pipelines", "no pipelines defined"));
    }
    let mut pipelines = Vec::new();
    for (name, p) in raw.service.pipelines {
        let at = format!("service.pipelines.{name}");
        let signal_part = name.split('/').next().unwrap_or_default();
        let signal = Signal::parse(signal_part).ok_or_else(|| {
            FieldError::new(
                &at,
                format!("unknown signal {signal_part:?} (expected traces, metrics or logs)"),
            )
        })?;
        if name.ends_with('/') {
            return Err(FieldError::new(&at, "empty pipeline name after '/'"));
        }
        check_refs(
            &format!("{at}.receivers"),
            Kind::Receiver,
            signal,
            &p.receivers,
            &receivers,
            true,
        )?;
        check_refs(
            &format!("{at}.processors"),
            Kind::Processor,
            signal,
            &p.processors,
            &processors,
            false,
        )?;
        check_refs(
            &format!("{at}.exporters"),
            Kind::Exporter,
            signal,
            &p.exporters,
            &exporters,
            true,
        )?;
        pipelines.push(PipelineSpec {
            name,
            signal,
            receivers: p.receivers,
            processors: p.processors,
            exporters: p.exporters,
        });
    }

    let log_level = match &raw.service.telemetry.logs.level {
        Some(level) => Some(
            crate::logging::normalize_level(level)
                .map_err(|e| FieldError::new("service.telemetry.logs.level", e))?
                .to_string(),
        ),
        None => None,
    };
    let traces = match raw.service.telemetry.traces {
        Some(t) => traces_config(t)?,
        None => None,
    };
    let metrics_level = match &raw.service.telemetry.metrics.level {
        Some(l) => crate::telemetry::metrics::Level::parse(l)
            .map_err(|e| FieldError::new("service.telemetry.metrics.level", e))?,
        None => crate::telemetry::metrics::Level::default(),
    };
    let memory_limit_bytes = match raw.service.memory_limit_mib {
        Some(0) => return Err(FieldError::new("service.memory_limit_mib", "must be greater than zero")),
        Some(mib) if mib > (1 << 24) => {
            return Err(FieldError::new(
                "service.memory_limit_mib",
                "must be at most 16777216 (16 TiB)",
            ));
        }
        Some(mib) => mib << 20,
        None => crate::runtime::admission::DEFAULT_MEMORY_LIMIT_MIB << 20,
    };
    let worker_threads = raw.service.worker_threads.map(check_worker_threads).transpose()?;
    if raw.service.shutdown_timeout.is_zero() {
        return Err(FieldError::new("service.shutdown_timeout", "must be greater than zero"));
    }

    Ok(LoadedConfig {
        receivers,
        processors,
        exporters,
        pipelines,
        extensions,
        shutdown_timeout: raw.service.shutdown_timeout,
        log_level,
        traces,
        metrics_level,
        memory_limit_bytes,
        worker_threads,
    })
}

fn traces_config(t: TracesConfig) -> Result<Option<SpanExportConfig>, FieldError> {
    const AT: &str = "service.telemetry.traces";
    let mut headers = Vec::new();
    for (k, v) in &t.headers {
        let at = || format!("{AT}.headers.{k}");
        let key = k
            .to_ascii_lowercase()
            .parse::<tonic::metadata::AsciiMetadataKey>()
            .map_err(|_| FieldError::new(at(), "invalid header name"))?;
        let val = v
            .parse::<tonic::metadata::AsciiMetadataValue>()
            .map_err(|_| FieldError::new(at(), "invalid header value"))?;
        headers.push((key, val));
    }
    let mut resource = Vec::new();
    for (k, v) in t.resource {
        let at = || format!("{AT}.resource.{k}");
        if k.is_empty() {
            return Err(FieldError::new(at(), "empty attribute name"));
        }
        let value = match v {
            serde_yaml::Value::String(s) => s,
            serde_yaml::Value::Number(n) => n.to_string(),
            serde_yaml::Value::Bool(b) => b.to_string(),
            _ => return Err(FieldError::new(at(), "expected a string value")),
        };
        resource.push((k, value));
    }
    if !resource.iter().any(|(k, _)| k == "service.name") {
        resource.insert(
            0,
            (
                "service.name".to_string(),
                crate::spans::DEFAULT_SERVICE_NAME.to_string(),
            ),
        );
    }
    let Some(endpoint) = t.endpoint.filter(|e| !e.trim().is_empty()) else {
        return Ok(None);
    };
    let target = Target::parse(&endpoint, "the span exporter")
        .map_err(|e| FieldError::new(format!("{AT}.endpoint"), e))?
        .target;
    Ok(Some(SpanExportConfig {
        target,
        headers,
        resource,
    }))
}

/// Most runtime threads `service.worker_threads` may ask for: far past any
/// useful count, low enough that a typo cannot exhaust the thread limit.
pub(crate) const MAX_WORKER_THREADS: usize = 1024;

pub(crate) fn check_worker_threads(n: usize) -> Result<usize, FieldError> {
    match n {
        0 => Err(FieldError::new("service.worker_threads", "must be at least 1")),
        n if n > MAX_WORKER_THREADS => Err(FieldError::new(
            "service.worker_threads",
            format!("must be at most {MAX_WORKER_THREADS}"),
        )),
        n => Ok(n),
    }
}
