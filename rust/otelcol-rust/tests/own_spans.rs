//! `service.telemetry.traces`: the real binary exports its own spans (children
//! of the caller's span) to a real OTLP trace server, and the backend's request
//! is a child of the exporter span.

mod common;

use std::path::Path;
use std::time::Instant;

use common::*;
use opentelemetry_proto::tonic::common::v1::{KeyValue, any_value::Value};
use opentelemetry_proto::tonic::trace::v1::{Span, span, status};
use tonic::{Code, Request};
use tonic_health::pb::health_check_response::ServingStatus;

fn config(d: &Path) -> String {
    let d = d.display();
    format!(
        r#"
receivers:
  otlp/bridge_1: {{protocols: {{grpc: {{endpoint: "unix://{d}/in.sock"}}}}}}
  otlp/failing: {{protocols: {{grpc: {{endpoint: "unix://{d}/fail.sock"}}}}}}
processors:
  fault: {{error: permanent, message: "injected by the test"}}
exporters:
  otlp_rust/backend:
    endpoint: "unix://{d}/backend.sock"
    compression: none
    retry_on_failure: {{enabled: false}}
    # The fault's error and the exporter's span belong to the caller's request.
    sending_queue: {{wait_for_result: true}}
service:
  telemetry:
    logs: {{level: debug}}
    traces:
      endpoint: "unix://{d}/traces.sock"
      headers: {{x-key: secret}}
      resource: {{service.name: otelcol-hybrid, service.version: 0.1.0}}
  pipelines:
    metrics:
      receivers: [otlp/bridge_1]
      exporters: [otlp_rust/backend]
    metrics/failing:
      receivers: [otlp/failing]
      processors: [fault]
      exporters: [otlp_rust/backend]
"#
    )
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn attr<'a>(s: &'a Span, key: &str) -> &'a Value {
    s.attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref()?.value.as_ref())
        .unwrap_or_else(|| panic!("span {} has no attribute {key}: {:?}", s.name, s.attributes))
}

fn str_attr<'a>(s: &'a Span, key: &str) -> &'a str {
    match attr(s, key) {
        Value::StringValue(v) => v,
        other => panic!("{key} is not a string: {other:?}"),
    }
}

fn int_attr(s: &Span, key: &str) -> i64 {
    match attr(s, key) {
        Value::IntValue(v) => *v,
        other => panic!("{key} is not an int: {other:?}"),
    }
}

fn all_spans(traces: &Backend) -> Vec<Span> {
    traces
        .state
        .traces
        .lock()
        .unwrap()
        .iter()
        .flat_map(|(_, r)| &r.resource_spans)
        .flat_map(|rs| &rs.scope_spans)
        .flat_map(|ss| ss.spans.clone())
        .collect()
}

/// Waits until the trace server holds `n` spans of `trace_id`.
async fn wait_spans(traces: &Backend, trace_id: &str, n: usize, col: &Collector) -> Vec<Span> {
    let until = Instant::now() + WAIT;
    loop {
        let got: Vec<Span> = all_spans(traces)
            .into_iter()
            .filter(|s| hex(&s.trace_id) == trace_id)
            .collect();
        if got.len() >= n {
            return got;
        }
        assert!(
            Instant::now() < until,
            "trace server got {} spans of {trace_id}, want {n}; logs:\n{}",
            got.len(),
            col.logs().join("\n")
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

fn traced(
    traceparent: &str,
) -> Request<opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest> {
    let mut req = Request::new(metrics(&[("requests_total", 3)]));
    req.metadata_mut().insert("traceparent", traceparent.parse().unwrap());
    req.metadata_mut().insert("tracestate", "vendor=x".parse().unwrap());
    req
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_are_children_of_the_caller_and_parents_of_the_backend_request() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let backend = Backend::start(d.join("backend.sock")).await;
    let traces = Backend::start(d.join("traces.sock")).await;
    let col = Collector::spawn(&config(d), d, &[]);
    wait_health(&d.join("in.sock"), ServingStatus::Serving, &col).await;
    wait_health(&d.join("fail.sock"), ServingStatus::Serving, &col).await;

    // 1. Sampled: receiver span (child of P) → exporter span → backend request.
    let (t, p) = ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7");
    metrics_client(&d.join("in.sock"))
        .export(traced(&format!("00-{t}-{p}-01")))
        .await
        .expect("sampled export");
    let spans = wait_spans(&traces, t, 2, &col).await;
    assert_eq!(spans.len(), 2, "{spans:?}");
    let recv = spans
        .iter()
        .find(|s| s.kind == span::SpanKind::Server as i32)
        .expect("server span");
    let exp = spans
        .iter()
        .find(|s| s.kind == span::SpanKind::Client as i32)
        .expect("client span");

    assert_eq!(recv.name, "receiver/otlp/bridge_1/metrics");
    assert_eq!(hex(&recv.parent_span_id), p);
    assert_eq!(recv.trace_state, "vendor=x");
    assert_eq!(str_attr(recv, "otelcol.component.id"), "otlp/bridge_1");
    assert_eq!(str_attr(recv, "otelcol.signal"), "metrics");
    assert_eq!(int_attr(recv, "otelcol.items"), 3);
    assert_eq!(str_attr(recv, "rpc.system"), "grpc");
    assert_eq!(int_attr(recv, "rpc.grpc.status_code"), 0);
    assert!(recv.status.is_none(), "success is exported as Unset");
    assert!(recv.start_time_unix_nano > 0 && recv.end_time_unix_nano >= recv.start_time_unix_nano);

    assert_eq!(exp.name, "exporter/otlp_rust/backend/metrics");
    assert_eq!(
        exp.parent_span_id, recv.span_id,
        "exporter span is the receiver span's child"
    );
    assert_ne!(exp.span_id, recv.span_id);
    assert_eq!(str_attr(exp, "otelcol.component.id"), "otlp_rust/backend");
    assert_eq!(str_attr(exp, "otelcol.signal"), "metrics");
    assert_eq!(int_attr(exp, "otelcol.items"), 3);
    assert_eq!(int_attr(exp, "otelcol.attempts"), 1);
    assert_eq!(int_attr(exp, "rpc.grpc.status_code"), 0);
    assert!(exp.status.is_none(), "success is exported as Unset");
    assert!(exp.start_time_unix_nano >= recv.start_time_unix_nano);
    assert!(exp.end_time_unix_nano <= recv.end_time_unix_nano);

    {
        let got = backend.state.metrics.lock().unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(
            got[0].0.get("traceparent").unwrap(),
            format!("00-{t}-{}-01", hex(&exp.span_id)).as_str(),
            "the backend's request is a child of the exporter span"
        );
        assert_eq!(got[0].0.get("tracestate").unwrap(), "vendor=x");
    }
    {
        let got = traces.state.traces.lock().unwrap();
        let (md, req) = &got[0];
        assert_eq!(md.get("x-key").unwrap(), "secret");
        let rs = &req.resource_spans[0];
        let res: Vec<(&str, &str)> = rs
            .resource
            .as_ref()
            .unwrap()
            .attributes
            .iter()
            .map(
                |KeyValue { key, value, .. }| match value.as_ref().and_then(|v| v.value.as_ref()) {
                    Some(Value::StringValue(s)) => (key.as_str(), s.as_str()),
                    other => panic!("{key}: {other:?}"),
                },
            )
            .collect();
        assert_eq!(res, [("service.name", "otelcol-hybrid"), ("service.version", "0.1.0")]);
        assert_eq!(rs.scope_spans[0].scope.as_ref().unwrap().name, "otelcol-rust");
    }

    // The Rust log lines of the request carry its trace_id and the receiver span's id.
    col.wait_log("request log with trace_id and span_id", |v| {
        v["message"] == "request accepted" && v["span"]["trace_id"] == t && v["span"]["span_id"] == hex(&recv.span_id)
    })
    .await;

    // 2. Not sampled: no spans, the caller's traceparent reaches the backend unchanged.
    let unsampled = "00-5bf92f3577b34da6a3ce929d0e0e4736-10f067aa0ba902b7-00";
    metrics_client(&d.join("in.sock"))
        .export(traced(unsampled))
        .await
        .expect("unsampled export");
    {
        let got = backend.state.metrics.lock().unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].0.get("traceparent").unwrap(), unsampled);
    }

    // 3. Failing in Rust (fault → permanent → Internal): the receiver span says ERROR.
    let t3 = "6bf92f3577b34da6a3ce929d0e0e4736";
    let p3 = "20f067aa0ba902b7";
    let st = metrics_client(&d.join("fail.sock"))
        .export(traced(&format!("00-{t3}-{p3}-01")))
        .await
        .expect_err("fault");
    assert_eq!(st.code(), Code::Internal);
    let spans = wait_spans(&traces, t3, 1, &col).await;
    assert_eq!(
        spans.len(),
        1,
        "the fault stops the data before any exporter: {spans:?}"
    );
    let recv = &spans[0];
    assert_eq!(recv.name, "receiver/otlp/failing/metrics");
    assert_eq!(hex(&recv.parent_span_id), p3);
    let s = recv.status.as_ref().unwrap();
    assert_eq!(s.code, status::StatusCode::Error as i32);
    assert_eq!(s.message, st.message());
    assert_eq!(int_attr(recv, "rpc.grpc.status_code"), Code::Internal as i64);
    assert_eq!(int_attr(recv, "rpc.grpc.status_code"), 13);

    // Spans are exported in order: had the unsampled request produced any, they
    // would have arrived before the failing request's.
    assert!(
        all_spans(&traces)
            .iter()
            .all(|s| hex(&s.trace_id) != "5bf92f3577b34da6a3ce929d0e0e4736"),
        "unsampled request produced spans"
    );

    // 4. SIGTERM right after a sampled request: its spans are flushed before exit.
    let t4 = "7bf92f3577b34da6a3ce929d0e0e4736";
    metrics_client(&d.join("in.sock"))
        .export(traced(&format!("00-{t4}-30f067aa0ba902b7-01")))
        .await
        .expect("export before shutdown");
    let mut col = col;
    col.signal(libc::SIGTERM);
    let st = col.wait_exit(WAIT).expect("exits after SIGTERM");
    assert!(st.success(), "{st:?}; logs:\n{}", col.logs().join("\n"));
    assert_eq!(wait_spans(&traces, t4, 2, &col).await.len(), 2);
}

#[test]
fn validate_accepts_the_traces_section() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.yaml");
    std::fs::write(&path, config(dir.path())).unwrap();
    let out = std::process::Command::new(BIN)
        .args(["validate", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));

    let traces_endpoint = format!("endpoint: \"unix://{}/traces.sock\"", dir.path().display());
    let bad = config(dir.path()).replace(&traces_endpoint, "endpoint: \"https://x:1\"");
    assert_ne!(bad, config(dir.path()));
    std::fs::write(&path, bad).unwrap();
    let out = std::process::Command::new(BIN)
        .args(["validate", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("service.telemetry.traces.endpoint: \"https://x:1\": TLS is not supported"),
        "{err}"
    );
}
