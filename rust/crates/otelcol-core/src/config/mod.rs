//! The collector config: same shape as the Go collector's, strict (unknown
//! fields are errors) and every error names its path.

pub mod duration;
pub mod error;
pub mod exporter;
pub mod glob;
mod model;
pub mod receiver;
mod validate;

pub use error::{ConfigError, FieldError, parse_component_config};
pub use model::PipelineSpec;
pub use validate::{Created, LoadedConfig};

#[cfg(test)]
mod tests;

use std::path::Path;

/// Reads, parses and validates `path`, creating (not starting) every component.
pub fn load_file(path: &Path) -> Result<LoadedConfig, ConfigError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        file: file.clone(),
        path: String::new(),
        message: format!("cannot read: {e}"),
    })?;
    load_str(&file, &text)
}

/// `service.worker_threads` of a config's text, read on its own: the async
/// runtime is sized before the config is loaded, because loading creates the
/// components inside it. `None` when unset, and also when the text or the
/// value is bad — loading it reports that with its path.
pub fn worker_threads(text: &str) -> Option<usize> {
    let doc: serde_yaml::Value = serde_yaml::from_str(text).ok()?;
    let n = doc.get("service")?.get("worker_threads")?.as_u64()?;
    validate::check_worker_threads(usize::try_from(n).ok()?).ok()
}

/// Same as [`load_file`] for text already in memory; `file` names it in errors.
pub fn load_str(file: &str, text: &str) -> Result<LoadedConfig, ConfigError> {
    let raw = model::parse(text).map_err(|e| e.in_file(file))?;
    validate::build(raw).map_err(|e| e.in_file(file))
}
