//! The Rust half's service inside this process: validated, started and
//! stopped by the Go side, at most one at a time.

use std::sync::Mutex;

use otelcol_core::config;
use otelcol_core::registry;
use otelcol_core::service::Service;

static RUNNING: Mutex<Option<Service>> = Mutex::new(None);

/// The name errors give the Rust half's config.
const CONFIG_NAME: &str = "rust half";

/// Static linking can drop linkme's sections when nothing references the
/// component crates; an empty registry would reject every config with a
/// misleading "unknown type". Say what really happened instead.
pub fn check_registry() -> Result<(), String> {
    let linked = registry::list();
    let missing: Vec<String> = LINKED
        .iter()
        .filter(|(kind, ty)| !linked.iter().any(|c| c.kind == *kind && c.type_name == *ty))
        .map(|(kind, ty)| format!("{kind} {ty}"))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "the Rust component registry lacks {}: the static library was linked without its components' linkme sections (link the whole archive)",
            missing.join(", ")
        ));
    }
    Ok(())
}

/// What this library links (lib.rs), as the registry must list it.
const LINKED: &[(&str, &str)] = &[
    ("receiver", "otlp"),
    ("receiver", "jaeger"),
    ("receiver", "ffi_bridge"),
    ("processor", "advanced_filter"),
    ("processor", "fault"),
    ("exporter", "otlp_rust"),
    ("exporter", "debug"),
    ("exporter", "file"),
    ("exporter", "otap"),
    ("exporter", "ffi_bridge"),
];

/// Parses and checks `yaml` as `otelcol-rust validate` does, creating but not
/// starting any component.
pub fn validate(yaml: &str) -> Result<(), String> {
    check_registry()?;
    config::load_str(CONFIG_NAME, yaml)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Starts the service; returns once every component runs (readiness is this
/// call returning). A start failure stops whatever had started.
pub fn start(yaml: &str) -> Result<(), String> {
    check_registry()?;
    // Sized before it is built: loading creates the components inside it.
    let workers = config::worker_threads(yaml);
    let sized = crate::runtime::set_worker_threads(workers.unwrap_or(0));
    let rt = crate::runtime::get()?;
    // Components are created inside the runtime, as in the child.
    let entered = rt.enter();
    let cfg = config::load_str(CONFIG_NAME, yaml).map_err(|e| e.to_string())?;
    drop(entered);
    let mut running = RUNNING.lock().unwrap_or_else(|p| p.into_inner());
    if running.is_some() {
        return Err("the Rust half is already running in this process".into());
    }
    crate::log::init(cfg.log_level.as_deref());
    if !sized && workers.is_some() {
        tracing::warn!("service.worker_threads applies from the next process start: the runtime already runs");
    }
    let mut service = rt.block_on(Service::new(cfg));
    if let Err(e) = rt.block_on(service.start()) {
        rt.block_on(service.shutdown());
        return Err(e);
    }
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        mode = "embedded",
        worker_threads = rt.metrics().num_workers(),
        "otelcol-rust started in-process"
    );
    *running = Some(service);
    Ok(())
}

/// Drains and stops the service. `Ok(true)`: drained in time; `Ok(false)`:
/// `service.shutdown_timeout` passed first; `Err`: nothing was running.
pub fn shutdown() -> Result<bool, String> {
    let service = RUNNING.lock().unwrap_or_else(|p| p.into_inner()).take();
    let Some(service) = service else {
        return Err("the Rust half is not running".into());
    };
    let rt = crate::runtime::get()?;
    let clean = rt.block_on(service.shutdown());
    tracing::info!(clean, "otelcol-rust stopped in-process");
    Ok(clean)
}

#[cfg(test)]
mod tests {
    #[test]
    fn everything_linked_is_registered() {
        super::check_registry().unwrap();
    }

    /// The library links what the distribution's otelcol-rust links (its
    /// catalog, collector/rust_components.json), plus the bridge ends.
    #[test]
    fn links_the_distributions_components() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../collector/rust_components.json");
        let text = std::fs::read_to_string(path).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut want: Vec<(String, String)> = json["components"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["kind"].as_str().unwrap().to_string(),
                    c["type"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        want.push(("receiver".into(), "ffi_bridge".into()));
        want.push(("exporter".into(), "ffi_bridge".into()));
        want.sort();
        let mut have: Vec<(String, String)> = super::LINKED
            .iter()
            .map(|(k, t)| (k.to_string(), t.to_string()))
            .collect();
        have.sort();
        assert_eq!(
            have, want,
            "rust/otelcol-ffi must link the components collector/rust_components.json lists"
        );
    }
}
