//! One contract for every component the binary links, checked over the
//! registry itself, so a new component is covered the moment it registers:
//! - it has an example config here (the test fails naming it otherwise);
//! - `null` (all defaults) either works or fails naming a field;
//! - an unknown field is refused with its own path;
//! - created from the example, it starts and shuts down cleanly.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use otelcol_core::component::ExtensionHost;
use otelcol_core::health::HealthState;
use otelcol_core::registry::{self, Factory};
use otelcol_core::{
    ComponentId, Consumer, Payload, ProcessingError, ReceiverHost, RequestContext, Signal, async_trait,
};

// The same crates the binary links.
use jaeger_receiver as _;
use otap_exporter as _;
use otelcol_advanced_filter as _;
use otelcol_debug_exporter as _;
use otelcol_fault as _;
use otelcol_file_exporter as _;
use otelcol_otlp_receiver as _;
use otelcol_otlp_rust_exporter as _;

/// A working config per type; `{dir}` is a fresh temporary directory.
const EXAMPLES: &[(&str, &str)] = &[
    (
        "receiver/otlp",
        "protocols: {grpc: {endpoint: 'unix://{dir}/g.sock'}, http: {endpoint: 'unix://{dir}/h.sock'}}",
    ),
    (
        "receiver/jaeger",
        "protocols: {grpc: {endpoint: 'unix://{dir}/j.sock'}, thrift_http: {endpoint: 'unix://{dir}/jh.sock'}, thrift_compact: {endpoint: '127.0.0.1:0'}}",
    ),
    ("processor/advanced_filter", "drop_metrics: [up]"),
    ("processor/fault", "error: retryable"),
    ("exporter/debug", "verbosity: detailed"),
    ("exporter/file", "path: '{dir}/out.jsonl'"),
    ("exporter/otlp_rust", "endpoint: 'unix://{dir}/backend.sock'"),
    ("exporter/otap", "endpoint: 'unix://{dir}/backend.sock'"),
    ("extension/health_check", "endpoint: 'unix://{dir}/health.sock'"),
];

struct Sink;

#[async_trait]
impl Consumer for Sink {
    async fn consume(&self, _: &RequestContext, _: Payload) -> Result<(), ProcessingError> {
        Ok(())
    }
}

fn example(kind: &str, ty: &str, dir: &Path) -> serde_yaml::Value {
    let key = format!("{kind}/{ty}");
    let (_, yaml) = EXAMPLES
        .iter()
        .find(|(k, _)| *k == key)
        .unwrap_or_else(|| panic!("{key} is registered but has no compliance example in tests/compliance.rs"));
    serde_yaml::from_str(&yaml.replace("{dir}", &dir.display().to_string())).unwrap()
}

/// The factory-level checks every kind shares; returns the created component.
fn check_factory<T: ?Sized>(kind: &str, f: &Factory<T>, dir: &Path) -> Arc<T> {
    let id = ComponentId::parse(f.type_name).unwrap();
    let what = format!("{kind}/{}", f.type_name);
    if let Err(e) = (f.create)(&id, serde_yaml::Value::Null) {
        assert!(
            !e.path.is_empty(),
            "{what}: a default config that fails must name the missing field: {e:?}"
        );
    }
    let mut with_unknown = example(kind, f.type_name, dir);
    with_unknown
        .as_mapping_mut()
        .unwrap_or_else(|| panic!("{what}: the example is a mapping"))
        .insert("no_such_setting".into(), 1.into());
    let err = (f.create)(&id, with_unknown)
        .err()
        .unwrap_or_else(|| panic!("{what}: an unknown field must be refused"));
    assert_eq!(err.path, "no_such_setting", "{what}: {err:?}");
    (f.create)(&id, example(kind, f.type_name, dir))
        .unwrap_or_else(|e| panic!("{what}: the example must be valid: {e:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_registered_component_meets_the_contract() {
    let mut seen = Vec::new();
    for f in registry::RECEIVERS.iter() {
        let dir = tempfile::tempdir().unwrap();
        let r = check_factory("receiver", f, dir.path());
        let consumers: BTreeMap<Signal, Arc<dyn Consumer>> = f
            .signals
            .iter()
            .map(|s| (*s, Arc::new(Sink) as Arc<dyn Consumer>))
            .collect();
        let host = ReceiverHost {
            consumers,
            health: HealthState::new().await,
        };
        r.start(host)
            .await
            .unwrap_or_else(|e| panic!("receiver/{}: start: {e}", f.type_name));
        r.shutdown().await;
        seen.push(format!("receiver/{}", f.type_name));
    }
    for f in registry::PROCESSORS.iter() {
        let dir = tempfile::tempdir().unwrap();
        let p = check_factory("processor", f, dir.path());
        for s in f.signals {
            // An empty request: the processor must answer, not hang or panic.
            let _ = p.process(&RequestContext::background(), Payload::empty(*s)).await;
        }
        seen.push(format!("processor/{}", f.type_name));
    }
    for f in registry::EXPORTERS.iter() {
        let dir = tempfile::tempdir().unwrap();
        let e = check_factory("exporter", f, dir.path());
        e.start()
            .await
            .unwrap_or_else(|err| panic!("exporter/{}: start: {err}", f.type_name));
        e.shutdown().await;
        seen.push(format!("exporter/{}", f.type_name));
    }
    for f in registry::EXTENSIONS.iter() {
        let dir = tempfile::tempdir().unwrap();
        let x = check_factory("extension", f, dir.path());
        let host = ExtensionHost {
            health: HealthState::new().await,
        };
        x.start(host)
            .await
            .unwrap_or_else(|e| panic!("extension/{}: start: {e}", f.type_name));
        x.shutdown().await;
        seen.push(format!("extension/{}", f.type_name));
    }
    // Every example belongs to a registered component (none left over).
    for (k, _) in EXAMPLES {
        assert!(seen.iter().any(|s| s == k), "{k} has an example but is not registered");
    }
}
