//! Process lifecycle of the real binary: SIGTERM drain, stdin EOF, parent
//! death, start failure.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use tokio::sync::Semaphore;
use tonic_health::pb::health_check_response::ServingStatus;

fn config(dir: &Path, shutdown_timeout: &str) -> String {
    let d = dir.display();
    format!(
        r#"
receivers:
  otlp:
    protocols: {{grpc: {{endpoint: "unix://{d}/in.sock"}}}}
exporters:
  otlp_rust:
    endpoint: unix://{d}/backend.sock
    compression: none
    # In-flight requests wait for the backend, so SIGTERM has something to drain.
    sending_queue: {{wait_for_result: true}}
extensions:
  health_check: {{endpoint: "unix://{d}/h.sock"}}
service:
  extensions: [health_check]
  shutdown_timeout: {shutdown_timeout}
  pipelines:
    metrics: {{receivers: [otlp], exporters: [otlp_rust]}}
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_goes_not_serving_drains_in_flight_and_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let backend = Backend::start(dir.path().join("backend.sock")).await;
    let gate = Arc::new(Semaphore::new(0));
    *backend.state.hold.lock().unwrap() = Some(gate.clone());
    let mut col = Collector::spawn(&config(dir.path(), "20s"), dir.path(), &[]);
    let (sock, h) = (dir.path().join("in.sock"), dir.path().join("h.sock"));
    wait_health(&sock, ServingStatus::Serving, &col).await;

    // A request is in flight: it reached the backend, which holds it.
    let in_flight = tokio::spawn({
        let sock = sock.clone();
        async move { metrics_client(&sock).export(metrics(&[("m", 7)])).await }
    });
    backend.wait_calls(1).await;

    // A health Watch stream (as a supervisor may hold) sees the transition and
    // must not keep the process from exiting.
    let mut watch = tonic_health::pb::health_client::HealthClient::new(channel(&sock))
        .watch(tonic_health::pb::HealthCheckRequest { service: String::new() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(watch.message().await.unwrap().unwrap().status(), ServingStatus::Serving);

    col.signal(libc::SIGTERM);
    wait_health(&h, ServingStatus::NotServing, &col).await;
    assert_eq!(
        watch.message().await.unwrap().unwrap().status(),
        ServingStatus::NotServing
    );
    assert!(
        col.child.try_wait().unwrap().is_none(),
        "must wait for the in-flight request"
    );
    assert!(!in_flight.is_finished());

    gate.add_permits(1);
    in_flight
        .await
        .unwrap()
        .expect("in-flight request completes during drain");
    assert_eq!(points_by_name(&backend.received_metrics())["m"], 7);
    let st = col.wait_exit(WAIT).expect("exits after draining");
    assert_eq!(st.code(), Some(0), "logs:\n{}", col.logs().join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drain_that_exceeds_shutdown_timeout_exits_one() {
    let dir = tempfile::tempdir().unwrap();
    let backend = Backend::start(dir.path().join("backend.sock")).await;
    *backend.state.hold.lock().unwrap() = Some(Arc::new(Semaphore::new(0)));
    let mut col = Collector::spawn(&config(dir.path(), "300ms"), dir.path(), &[]);
    let sock = dir.path().join("in.sock");
    wait_health(&sock, ServingStatus::Serving, &col).await;
    let _stuck = tokio::spawn(async move { metrics_client(&sock).export(metrics(&[("m", 1)])).await });
    backend.wait_calls(1).await;
    col.signal(libc::SIGTERM);
    let st = col.wait_exit(WAIT).expect("bounded shutdown");
    assert_eq!(st.code(), Some(1));
    col.wait_log("timeout reported", |v| {
        v["message"].as_str().unwrap_or("").starts_with("shutdown timed out")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exits_cleanly_on_stdin_eof() {
    let dir = tempfile::tempdir().unwrap();
    let _backend = Backend::start(dir.path().join("backend.sock")).await;
    let mut col = Collector::spawn(&config(dir.path(), "5s"), dir.path(), &["--exit-on-stdin-eof"]);
    wait_health(&dir.path().join("in.sock"), ServingStatus::Serving, &col).await;
    assert!(
        col.child.try_wait().unwrap().is_none(),
        "keeps running while stdin is open"
    );
    drop(col.stdin.take());
    let st = col.wait_exit(WAIT).expect("exits on stdin EOF");
    assert_eq!(st.code(), Some(0));
    col.wait_log("reason logged", |v| v["reason"] == "stdin reached EOF")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exits_when_its_parent_dies() {
    let dir = tempfile::tempdir().unwrap();
    let _backend = Backend::start(dir.path().join("backend.sock")).await;
    let cfg = dir.path().join("config.yaml");
    std::fs::write(&cfg, config(dir.path(), "5s")).unwrap();
    // An intermediate shell is the parent; it prints the child's pid and waits.
    let mut parent = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "'{BIN}' --config '{}' --exit-with-parent 2>/dev/null & echo $!; wait",
            cfg.display()
        ))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(parent.stdout.take().unwrap()), &mut line).unwrap();
    let pid: i32 = line.trim().parse().unwrap();
    let sock = dir.path().join("in.sock");
    let until = Instant::now() + WAIT;
    while !matches!(health(&sock).await, Ok(ServingStatus::Serving)) {
        assert!(Instant::now() < until, "child never served");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    parent.kill().unwrap();
    parent.wait().unwrap();
    // Exited means gone or a zombie waiting for its new parent to reap it.
    let until = Instant::now() + WAIT;
    loop {
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok();
        let exited = state.as_deref().is_none_or(|s| {
            s.rsplit_once(')')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
        });
        if exited {
            break;
        }
        assert!(
            Instant::now() < until,
            "child {pid} still running after its parent died"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!sock.exists(), "graceful exit removed the socket");
}

#[test]
fn bind_failure_is_a_runtime_failure() {
    let dir = tempfile::tempdir().unwrap();
    // The receiver's socket directory does not exist: binding fails at start.
    let cfg = config(&dir.path().join("missing-dir"), "5s");
    let mut col = Collector::spawn(&cfg, dir.path(), &[]);
    let st = col.wait_exit(WAIT).expect("exits");
    assert_eq!(st.code(), Some(1), "logs:\n{}", col.logs().join("\n"));
    assert!(
        col.logs()
            .iter()
            .any(|l| l.contains("start failed") && l.contains("cannot listen")),
        "{:?}",
        col.logs()
    );
}
