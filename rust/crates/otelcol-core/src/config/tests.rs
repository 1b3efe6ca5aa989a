//! Config loading against a few fake components registered only in tests,
//! so signal support and errors can be checked without the real components.

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use super::*;
use crate::component::{ComponentId, Exporter, Processor, Receiver, ReceiverHost, Signal};
use crate::context::RequestContext;
use crate::error::ProcessingError;
use crate::model::Payload;
use crate::registry::{EXPORTERS, ExporterFactory, PROCESSORS, ProcessorFactory, RECEIVERS, ReceiverFactory};

struct Nop;

#[async_trait::async_trait]
impl Receiver for Nop {
    async fn start(&self, _: ReceiverHost) -> Result<(), String> {
        Ok(())
    }
    async fn shutdown(&self) {}
}

#[async_trait::async_trait]
impl Processor for Nop {
    async fn process(&self, _: &RequestContext, d: Payload) -> Result<Option<Payload>, ProcessingError> {
        Ok(Some(d))
    }
}

#[async_trait::async_trait]
impl Exporter for Nop {
    async fn export(&self, _: &RequestContext, _: Payload) -> Result<(), ProcessingError> {
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct FakeCfg {
    #[serde(default)]
    size: u32,
    #[serde(default)]
    nested: Option<Nested>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Nested {
    port: u16,
}

fn parse_fake(v: serde_yaml::Value) -> Result<(), FieldError> {
    parse_component_config::<FakeCfg>(v).map(|_| ())
}

#[linkme::distributed_slice(RECEIVERS)]
static FAKE_RECEIVER: ReceiverFactory = ReceiverFactory {
    type_name: "fakerecv",
    signals: &[Signal::Traces, Signal::Metrics, Signal::Logs],
    create: |_: &ComponentId, v| parse_fake(v).map(|_| Arc::new(Nop) as Arc<dyn Receiver>),
};

#[linkme::distributed_slice(PROCESSORS)]
static FAKE_PROCESSOR: ProcessorFactory = ProcessorFactory {
    type_name: "fakeproc",
    signals: &[Signal::Traces, Signal::Metrics, Signal::Logs],
    create: |_: &ComponentId, v| parse_fake(v).map(|_| Arc::new(Nop) as Arc<dyn Processor>),
};

#[linkme::distributed_slice(EXPORTERS)]
static METRICS_ONLY: ExporterFactory = ExporterFactory {
    type_name: "metricsonly",
    signals: &[Signal::Metrics],
    create: |_: &ComponentId, v| parse_fake(v).map(|_| Arc::new(Nop) as Arc<dyn Exporter>),
};

const GOOD: &str = r#"
receivers:
  fakerecv/in: {}
processors:
  fakeproc:
exporters:
  metricsonly: {size: 3}
extensions:
  health_check:
    endpoint: unix:///tmp/x/h.sock
service:
  extensions: [health_check]
  shutdown_timeout: 250ms
  telemetry: {logs: {level: debug}}
  pipelines:
    metrics:
      receivers: [fakerecv/in]
      processors: [fakeproc]
      exporters: [metricsonly]
    metrics/second:
      receivers: [fakerecv/in]
      exporters: [metricsonly]
"#;

fn err(yaml: &str) -> String {
    match load_str("cfg.yaml", yaml) {
        Ok(_) => panic!("expected an error for:\n{yaml}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn good_config_loads_with_extras() {
    let c = load_str("cfg.yaml", GOOD).unwrap();
    assert_eq!(c.pipelines.len(), 2);
    assert_eq!(c.pipelines[0].signal, Signal::Metrics);
    assert_eq!(c.shutdown_timeout, Duration::from_millis(250));
    assert_eq!(c.log_level.as_deref(), Some("debug"));
    assert_eq!(c.extensions.len(), 1);
}

#[test]
fn shutdown_timeout_defaults_to_10s_and_health_check_needs_listing() {
    let yaml = GOOD
        .replace("  shutdown_timeout: 250ms\n", "")
        .replace("  extensions: [health_check]\n", "");
    let c = load_str("cfg.yaml", &yaml).unwrap();
    assert_eq!(c.shutdown_timeout, Duration::from_secs(10));
    assert!(c.extensions.is_empty(), "defined but not enabled in service.extensions");
}

#[test]
fn memory_limit_defaults_and_is_checked() {
    let c = load_str("cfg.yaml", GOOD).unwrap();
    assert_eq!(
        c.memory_limit_bytes,
        crate::runtime::admission::DEFAULT_MEMORY_LIMIT_MIB << 20
    );
    let with = |v: &str| {
        GOOD.replace(
            "  shutdown_timeout: 250ms\n",
            &format!("  shutdown_timeout: 250ms\n  memory_limit_mib: {v}\n"),
        )
    };
    assert_eq!(load_str("cfg.yaml", &with("8")).unwrap().memory_limit_bytes, 8 << 20);
    let e = err(&with("0"));
    assert!(e.contains("service.memory_limit_mib: must be greater than zero"), "{e}");
}

#[test]
fn worker_threads_is_read_before_loading_and_checked_when_loading() {
    let with = |v: &str| {
        GOOD.replace(
            "  shutdown_timeout: 250ms\n",
            &format!("  shutdown_timeout: 250ms\n  worker_threads: {v}\n"),
        )
    };
    assert_eq!(super::worker_threads(GOOD), None);
    assert_eq!(load_str("cfg.yaml", GOOD).unwrap().worker_threads, None);
    assert_eq!(super::worker_threads(&with("3")), Some(3));
    assert_eq!(load_str("cfg.yaml", &with("3")).unwrap().worker_threads, Some(3));
    for bad in ["0", "100000"] {
        assert_eq!(super::worker_threads(&with(bad)), None, "{bad}");
        let e = err(&with(bad));
        assert!(e.contains("cfg.yaml: service.worker_threads: must be at"), "{e}");
    }
    let e = err(&with("two"));
    assert!(e.contains("service.worker_threads"), "{e}");
    assert_eq!(super::worker_threads("not: [yaml"), None);
}

#[test]
fn errors_name_file_path_and_problem() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "  fakeproc:\n",
            "  fakeproc:\n    sise: 1\n",
            "cfg.yaml: processors.fakeproc.sise: unknown field",
        ),
        (
            "metricsonly: {size: 3}",
            "metricsonly: {nested: {port: 1, extra: 2}}",
            "cfg.yaml: exporters.metricsonly.nested.extra: unknown field",
        ),
        (
            "metricsonly: {size: 3}",
            "metricsonly: {size: big}",
            "cfg.yaml: exporters.metricsonly.size: invalid type",
        ),
        (
            "  shutdown_timeout: 250ms",
            "  shutdown_timeout: 250",
            "cfg.yaml: service.shutdown_timeout: invalid duration",
        ),
        (
            "      processors: [fakeproc]",
            "      processors: [nothere]",
            "cfg.yaml: service.pipelines.metrics.processors[0]: processor \"nothere\" is not defined",
        ),
        (
            "      receivers: [fakerecv/in]\n      processors",
            "      receivers: [fakerecv/out]\n      processors",
            "cfg.yaml: service.pipelines.metrics.receivers[0]: receiver \"fakerecv/out\" is not defined",
        ),
        (
            "    metrics/second:",
            "    traces/second:",
            "cfg.yaml: service.pipelines.traces/second.exporters[0]: exporter \"metricsonly\" does not support traces",
        ),
        (
            "    metrics/second:",
            "    profiles:",
            "cfg.yaml: service.pipelines.profiles: unknown signal \"profiles\"",
        ),
        (
            "      receivers: [fakerecv/in]\n      exporters",
            "      receivers: []\n      exporters",
            "cfg.yaml: service.pipelines.metrics/second.receivers: pipeline has no receivers",
        ),
        (
            "      receivers: [fakerecv/in]\n      exporters: [metricsonly]\n",
            "      receivers: [fakerecv/in]\n",
            "cfg.yaml: service.pipelines.metrics/second.exporters: pipeline has no exporters",
        ),
        (
            "  fakeproc:\n",
            "  nosuch:\n",
            "cfg.yaml: processors.nosuch: unknown processor type \"nosuch\"",
        ),
        (
            "  extensions: [health_check]",
            "  extensions: [zpages]",
            "cfg.yaml: service.extensions[0]: extension \"zpages\" is not defined",
        ),
        (
            "unix:///tmp/x/h.sock",
            "h.sock",
            "cfg.yaml: extensions.health_check.endpoint: invalid endpoint",
        ),
        (
            "{logs: {level: debug}}",
            "{logs: {level: loud}}",
            "cfg.yaml: service.telemetry.logs.level: invalid log level",
        ),
        (
            "processors:",
            "connectors: {}\nprocessors:",
            "cfg.yaml: connectors: unknown field",
        ),
        (
            "      processors: [fakeproc]",
            "      processors: [fakeproc, fakeproc]",
            "cfg.yaml: service.pipelines.metrics.processors[1]: processor \"fakeproc\" is listed twice",
        ),
    ];
    for (from, to, want) in cases {
        assert!(GOOD.contains(from), "test case does not apply: {from:?}");
        let got = err(&GOOD.replacen(from, to, 1));
        assert!(got.starts_with(want), "\n got: {got}\nwant: {want}…");
        assert!(!got.contains('\n'), "one line: {got}");
    }
}

#[test]
fn empty_and_missing_pipelines() {
    assert_eq!(err(""), "cfg.yaml: config is empty");
    assert_eq!(
        err("service: {pipelines: {}}"),
        "cfg.yaml: service.pipelines: no pipelines defined"
    );
    assert_eq!(err("receivers: {}"), "cfg.yaml: service: required, missing");
}

#[test]
fn missing_file_is_reported_with_its_name() {
    let e = load_file(std::path::Path::new("/nonexistent/otelcol.yaml"))
        .err()
        .unwrap();
    assert!(
        e.to_string().starts_with("/nonexistent/otelcol.yaml: cannot read:"),
        "{e}"
    );
}

#[test]
fn telemetry_traces_section() {
    use crate::endpoint::Target;
    let with = |traces: &str| {
        GOOD.replace(
            "{logs: {level: debug}}",
            &format!("{{logs: {{level: debug}}, traces: {traces}}}"),
        )
    };

    // Absent, or no endpoint: spans disabled.
    assert!(load_str("cfg.yaml", GOOD).unwrap().traces.is_none());
    assert!(
        load_str("cfg.yaml", &with("{headers: {x-key: v}}"))
            .unwrap()
            .traces
            .is_none()
    );

    let c = load_str(
        "cfg.yaml",
        &with("{endpoint: \"http://127.0.0.1:4317\", headers: {X-Key: value}}"),
    )
    .unwrap();
    let t = c.traces.unwrap();
    assert_eq!(t.target, Target::Http("http://127.0.0.1:4317".into()));
    assert_eq!(t.headers[0].0.as_str(), "x-key");
    assert_eq!(t.headers[0].1, "value");
    assert_eq!(t.resource, [("service.name".to_string(), "otelcol-rust".to_string())]);

    let c = load_str(
        "cfg.yaml",
        &with("{endpoint: \"unix:///run/t.sock\", resource: {service.name: hybrid, service.version: 0.1.0, shard: 3}}"),
    )
    .unwrap();
    let t = c.traces.unwrap();
    assert_eq!(t.target, Target::Unix("/run/t.sock".into()));
    let res: Vec<(&str, &str)> = t.resource.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(
        res,
        [("service.name", "hybrid"), ("service.version", "0.1.0"), ("shard", "3")]
    );
    assert_eq!(
        load_str("cfg.yaml", &with("{endpoint: \"localhost:4317\"}"))
            .unwrap()
            .traces
            .unwrap()
            .target,
        Target::Http("http://localhost:4317".into())
    );
}

#[test]
fn telemetry_traces_errors_name_their_path() {
    let with = |traces: &str| GOOD.replace("{logs: {level: debug}}", &format!("{{traces: {traces}}}"));
    for (traces, want) in [
        (
            "{endpoint: \"https://collector:4317\"}",
            "cfg.yaml: service.telemetry.traces.endpoint: \"https://collector:4317\": TLS is not supported",
        ),
        (
            "{endpoint: \"localhost:4317\", insecure: true}",
            "cfg.yaml: service.telemetry.traces.insecure: unknown field",
        ),
        (
            "{endpoint: nohost}",
            "cfg.yaml: service.telemetry.traces.endpoint: invalid endpoint",
        ),
        (
            "{endpoint: \"unix://t.sock\"}",
            "cfg.yaml: service.telemetry.traces.endpoint: invalid endpoint",
        ),
        (
            "{endpoint: \"h:1\", headers: {\"bad key\": v}}",
            "cfg.yaml: service.telemetry.traces.headers.bad key: invalid header name",
        ),
        (
            "{endpoint: \"h:1\", resource: {a: [1]}}",
            "cfg.yaml: service.telemetry.traces.resource.a: expected a string value",
        ),
        (
            "{endpoint: [1]}",
            "cfg.yaml: service.telemetry.traces.endpoint: invalid type",
        ),
    ] {
        let got = err(&with(traces));
        assert!(got.starts_with(want), "\n got: {got}\nwant: {want}…");
        assert!(!got.contains('\n'), "one line: {got}");
    }
}
