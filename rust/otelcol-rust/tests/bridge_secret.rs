//! The bridge secret with the real binary: read from stdin
//! (`--secret-on-stdin`), required by `bridge_secret` receivers and the
//! health listener, sent by `bridge_secret` exporters, never passed on as
//! client metadata.

mod common;

use std::io::Write;
use std::path::Path;

use common::*;
use tonic::Request;
use tonic::metadata::MetadataMap;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

fn config(dir: &Path) -> String {
    let d = dir.display();
    format!(
        r#"
receivers:
  otlp/bridge_1:
    protocols:
      grpc:
        endpoint: unix://{d}/in.sock
        include_metadata: true
        validated_sender: true
        bridge_secret: true
exporters:
  otlp_rust/bridge_2:
    endpoint: unix://{d}/go.sock
    compression: none
    forward_metadata: ['*']
    bridge_secret: true
    sending_queue: {{enabled: false}}
  otlp_rust/plain:
    endpoint: unix://{d}/plain.sock
    compression: none
    forward_metadata: ['*']
    sending_queue: {{enabled: false}}
extensions:
  health_check:
    endpoint: unix://{d}/h.sock
    bridge_secret: true
service:
  extensions: [health_check]
  pipelines:
    metrics:
      receivers: [otlp/bridge_1]
      exporters: [otlp_rust/bridge_2, otlp_rust/plain]
"#
    )
}

fn with_secret<T>(msg: T, secret: &str) -> Request<T> {
    let mut req = Request::new(msg);
    req.metadata_mut().insert(SECRET_HEADER, secret.parse().unwrap());
    req
}

async fn health_with(path: &Path, secret: &str) -> Result<ServingStatus, tonic::Status> {
    let r = HealthClient::new(channel(path))
        .check(with_secret(HealthCheckRequest { service: String::new() }, secret))
        .await?;
    Ok(r.into_inner().status())
}

fn secret_values(md: &MetadataMap) -> Vec<String> {
    md.get_all(SECRET_HEADER)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_secret_holder_is_served_and_the_secret_stays_on_the_hop() {
    let dir = tempfile::tempdir().unwrap();
    let go_side = Backend::start(dir.path().join("go.sock")).await;
    let plain = Backend::start(dir.path().join("plain.sock")).await;
    let mut col = Collector::spawn(
        &config(dir.path()),
        dir.path(),
        &["--secret-on-stdin", "--exit-on-stdin-eof"],
    );
    writeln!(col.stdin.as_mut().unwrap(), "{SECRET}").unwrap();
    let (h, input) = (dir.path().join("h.sock"), dir.path().join("in.sock"));
    let until = std::time::Instant::now() + WAIT;
    while health_with(&h, SECRET).await.ok() != Some(ServingStatus::Serving) {
        assert!(
            std::time::Instant::now() < until,
            "never SERVING:\n{}",
            col.logs().join("\n")
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }

    // Health: no secret, a wrong one, and a prefix are all refused.
    for bad in [
        None,
        Some(&SECRET[..63]),
        Some("0000000000000000000000000000000000000000000000000000000000000000"),
    ] {
        let r = match bad {
            None => health(&h).await,
            Some(s) => health_with(&h, s).await,
        };
        assert_eq!(
            r.unwrap_err().code(),
            tonic::Code::Unauthenticated,
            "health with {bad:?}"
        );
    }

    // Data: a foreign client is refused and nothing reaches a pipeline.
    let err = metrics_client(&input)
        .export(metrics(&[("foreign", 3)]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unauthenticated);
    let err = metrics_client(&input)
        .export(with_secret(metrics(&[("foreign", 3)]), &SECRET[1..]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unauthenticated);

    let mut good = with_secret(metrics(&[("good", 2)]), SECRET);
    good.metadata_mut().insert("x-tenant", "acme".parse().unwrap());
    metrics_client(&input).export(good).await.unwrap();
    go_side.wait_calls(1).await;
    plain.wait_calls(1).await;
    for b in [&go_side, &plain] {
        let got = points_by_name(&b.received_metrics());
        assert_eq!(got.get("good"), Some(&2));
        assert_eq!(got.get("foreign"), None, "a refused request reached the pipeline");
    }
    let (bridge_md, _) = go_side.state.metrics.lock().unwrap()[0].clone();
    assert_eq!(
        secret_values(&bridge_md),
        [SECRET],
        "the bridge exporter sends the secret once"
    );
    assert_eq!(bridge_md.get("x-tenant").unwrap(), "acme");
    let (plain_md, _) = plain.state.metrics.lock().unwrap()[0].clone();
    assert!(
        secret_values(&plain_md).is_empty(),
        "the secret became client metadata and left the collector"
    );
    assert_eq!(plain_md.get("x-tenant").unwrap(), "acme");
    drop(col.stdin.take());
    assert_eq!(col.wait_exit(WAIT).expect("exits on stdin EOF").code(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bridge_without_a_secret_fails_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut col = Collector::spawn(&config(dir.path()), dir.path(), &[]);
    let st = col.wait_exit(WAIT).expect("exits");
    assert_eq!(st.code(), Some(1));
    let logs = col.logs().join("\n");
    assert!(logs.contains("got no secret"), "logs:\n{logs}");
    assert!(
        !dir.path().join("in.sock").exists(),
        "the bridge listened without its secret"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdin_closed_before_the_secret_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut col = Collector::spawn(&config(dir.path()), dir.path(), &["--secret-on-stdin"]);
    drop(col.stdin.take());
    let st = col.wait_exit(WAIT).expect("exits");
    assert_eq!(st.code(), Some(1));
    assert!(col.logs().join("\n").contains("stdin closed before the secret line"));
}
