//! End to end over real unix sockets: tonic client → otelcol-rust (otlp →
//! advanced_filter → otlp_rust) → in-test OTLP backend.

mod common;

use std::collections::BTreeMap;

use common::*;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use tonic::Request;
use tonic_health::pb::health_check_response::ServingStatus;

fn config(dir: &std::path::Path) -> String {
    format!(
        r#"
receivers:
  otlp/in:
    protocols:
      grpc:
        endpoint: unix://{dir}/in.sock
        include_metadata: true
processors:
  advanced_filter:
    drop_metrics: [up, "scrape_*"]
exporters:
  otlp_rust/backend:
    endpoint: unix://{dir}/backend.sock
    compression: none
    headers: {{x-static: "yes"}}
    forward_metadata: [X-Tenant]
    # Answers after delivery: the backend is read right after each call.
    sending_queue: {{wait_for_result: true}}
  debug:
extensions:
  health_check:
    endpoint: unix://{dir}/h.sock
service:
  extensions: [health_check]
  pipelines:
    metrics:
      receivers: [otlp/in]
      processors: [advanced_filter]
      exporters: [otlp_rust/backend]
    traces:
      receivers: [otlp/in]
      exporters: [otlp_rust/backend, debug]
"#,
        dir = dir.display()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exactly_the_non_dropped_points_arrive_with_forwarded_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let backend = Backend::start(dir.path().join("backend.sock")).await;
    // A stale socket file from a crashed run must not prevent binding.
    drop(std::os::unix::net::UnixListener::bind(dir.path().join("in.sock")).unwrap());

    let mut col = Collector::spawn(&config(dir.path()), dir.path(), &[]);
    let in_sock = dir.path().join("in.sock");
    let h_sock = dir.path().join("h.sock");
    wait_health(&in_sock, ServingStatus::Serving, &col).await;
    wait_health(&h_sock, ServingStatus::Serving, &col).await;

    let mut client = metrics_client(&in_sock);
    let mut req = Request::new(metrics(&[
        ("up", 3),
        ("scrape_duration_seconds", 2),
        ("http_requests_total", 5),
        ("node_cpu_seconds_total", 4),
    ]));
    req.metadata_mut().append("x-tenant", "acme".parse().unwrap());
    req.metadata_mut().append("x-tenant", "beta".parse().unwrap());
    req.metadata_mut()
        .insert("authorization", "Bearer secret".parse().unwrap());
    client.export(req).await.expect("export accepted");

    // Acknowledged only after delivery: the backend already has it.
    assert_eq!(
        points_by_name(&backend.received_metrics()),
        BTreeMap::from([
            ("http_requests_total".to_string(), 5),
            ("node_cpu_seconds_total".to_string(), 4)
        ])
    );
    {
        let got = backend.state.metrics.lock().unwrap();
        let md = &got[0].0;
        let tenants: Vec<&str> = md.get_all("x-tenant").iter().map(|v| v.to_str().unwrap()).collect();
        assert_eq!(tenants, ["acme", "beta"]);
        assert_eq!(md.get("x-static").unwrap(), "yes");
        assert!(
            md.get("authorization").is_none(),
            "only forward_metadata keys are forwarded"
        );
    }

    // A batch that is entirely dropped is acknowledged without reaching the backend.
    client
        .export(metrics(&[("up", 1), ("scrape_samples_scraped", 1)]))
        .await
        .expect("dropped batch acknowledged");
    assert_eq!(backend.received_metrics().len(), 1);

    // Traces fan out to two exporters; the trace context is propagated.
    let mut tc = TraceServiceClient::new(channel(&in_sock));
    let mut treq = Request::new(ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans: vec![Span {
                    name: "GET /".into(),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    });
    let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    treq.metadata_mut().insert("traceparent", tp.parse().unwrap());
    tc.export(treq).await.expect("traces accepted");
    {
        let traces = backend.state.traces.lock().unwrap();
        assert_eq!(traces.len(), 1);
        assert_eq!(traces[0].0.get("traceparent").unwrap(), tp);
    }
    col.wait_log("debug exporter line for the span", |v| {
        v["message"] == "debug export" && v["signal"] == "traces"
    })
    .await;

    col.signal(libc::SIGTERM);
    let st = col.wait_exit(WAIT).expect("exits after SIGTERM");
    assert_eq!(st.code(), Some(0), "logs:\n{}", col.logs().join("\n"));
    assert!(!in_sock.exists(), "receiver socket removed on exit");
    assert!(!h_sock.exists(), "health socket removed on exit");

    // Every stderr line is one JSON object with the agreed top-level keys.
    for line in col.logs() {
        let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        for key in ["timestamp", "level", "target", "message"] {
            assert!(v.get(key).is_some(), "missing {key}: {line}");
        }
    }
}
