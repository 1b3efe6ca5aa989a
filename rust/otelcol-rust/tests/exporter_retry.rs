//! The otlp_rust exporter against a scripted backend: which outcomes are
//! retried, RetryInfo honoured, request deadline respected, and the final
//! backend outcome returned to the caller.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use tonic::{Code, Request, Status};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_types::{ErrorDetails, StatusExt};

fn config(dir: &Path) -> String {
    let d = dir.display();
    format!(
        r#"
receivers:
  otlp:
    protocols: {{grpc: {{endpoint: "unix://{d}/in.sock"}}}}
exporters:
  otlp_rust:
    endpoint: unix://{d}/backend.sock
    timeout: 10s
    # The caller sees each export's outcome, which is what this test checks.
    sending_queue: {{wait_for_result: true}}
    retry_on_failure: {{enabled: true, initial_interval: 50ms, max_interval: 100ms, max_elapsed_time: 60s}}
service:
  pipelines:
    metrics: {{receivers: [otlp], exporters: [otlp_rust]}}
"#
    )
}

fn exhausted(delay: Option<Duration>) -> Status {
    Status::with_error_details(
        Code::ResourceExhausted,
        "slow down",
        ErrorDetails::with_retry_info(delay),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_follow_the_backend_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let backend = Backend::start(dir.path().join("backend.sock")).await;
    let col = Collector::spawn(&config(dir.path()), dir.path(), &[]);
    let sock = dir.path().join("in.sock");
    wait_health(&sock, ServingStatus::Serving, &col).await;
    let mut client = metrics_client(&sock);

    // ResourceExhausted + RetryInfo(700ms) twice, then success: the caller gets OK
    // after the backend's delays were honoured (backoff alone would be ~50-100ms).
    backend.script(vec![
        exhausted(Some(Duration::from_millis(700))),
        exhausted(Some(Duration::from_millis(700))),
    ]);
    let started = Instant::now();
    client
        .export(metrics(&[("m", 3)]))
        .await
        .expect("delivered after retries");
    assert_eq!(backend.calls(), 3);
    assert!(
        started.elapsed() >= Duration::from_millis(1400),
        "RetryInfo delay ignored: {:?}",
        started.elapsed()
    );
    assert_eq!(points_by_name(&backend.received_metrics())["m"], 3);

    // Permanent backend codes are not retried and come back as they are.
    for code in [
        Code::InvalidArgument,
        Code::Unauthenticated,
        Code::PermissionDenied,
        Code::Unimplemented,
        Code::Internal,
    ] {
        let before = backend.calls();
        backend.script(vec![Status::new(code, "no")]);
        let st = client.export(metrics(&[("m", 1)])).await.unwrap_err();
        assert_eq!(st.code(), code);
        assert_eq!(backend.calls(), before + 1, "{code:?} must not be retried");
    }

    // ResourceExhausted without RetryInfo is permanent (as in the Go otlpexporter).
    let before = backend.calls();
    backend.script(vec![Status::resource_exhausted("full")]);
    let st = client.export(metrics(&[("m", 1)])).await.unwrap_err();
    assert_eq!(st.code(), Code::ResourceExhausted);
    assert!(st.get_details_retry_info().is_none());
    assert_eq!(backend.calls(), before + 1);

    // Unavailable is retried until it clears.
    let before = backend.calls();
    backend.script(vec![
        Status::unavailable("a"),
        Status::unavailable("b"),
        Status::aborted("c"),
    ]);
    client
        .export(metrics(&[("m", 1)]))
        .await
        .expect("retried until success");
    assert_eq!(backend.calls(), before + 4);

    // Never retry past the request deadline: a 10s RetryInfo with a 2s request
    // budget returns at once, the RetryInfo passed upstream for the caller to honour.
    let before = backend.calls();
    backend.script(vec![exhausted(Some(Duration::from_secs(10)))]);
    let started = Instant::now();
    let mut req = Request::new(metrics(&[("m", 1)]));
    req.set_timeout(Duration::from_secs(2));
    let st = client.export(req).await.unwrap_err();
    assert_eq!(st.code(), Code::ResourceExhausted, "{st:?}");
    assert_eq!(
        st.get_details_retry_info().unwrap().retry_delay,
        Some(Duration::from_secs(10))
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(backend.calls(), before + 1);

    // A backend that stays unavailable: retries stop at the request deadline.
    let before = backend.calls();
    backend.script(vec![Status::unavailable("down"); 10_000]);
    let started = Instant::now();
    let mut req = Request::new(metrics(&[("m", 1)]));
    req.set_timeout(Duration::from_secs(1));
    let st = client.export(req).await.unwrap_err();
    assert!(
        matches!(st.code(), Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled),
        "{st:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "gave up near the 1s deadline"
    );
    assert!(backend.calls() >= before + 2, "retried at least once");
}
