//! `fd://N` endpoints with the real binary: the parent binds the bridge
//! receiver's and the health listener's TCP ports once and hands the
//! listening sockets to every child it starts (socket activation), so the
//! ports are never free for another local process, not even while the child
//! is dead between two runs. An fd that is not a listening TCP socket fails
//! the start with the component and field named.

mod common;

use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::os::fd::AsRawFd;
use std::path::Path;

use common::*;
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_client::MetricsServiceClient;
use tonic::Request;
use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

fn config(dir: &Path, health: &str) -> String {
    let d = dir.display();
    format!(
        r#"
receivers:
  otlp/bridge_1:
    protocols:
      grpc:
        endpoint: fd://3
        validated_sender: true
        bridge_secret: true
exporters:
  otlp_rust/out:
    endpoint: unix://{d}/out.sock
    compression: none
    sending_queue: {{enabled: false}}
extensions:
  health_check:
    endpoint: {health}
    bridge_secret: true
service:
  extensions: [health_check]
  pipelines:
    metrics:
      receivers: [otlp/bridge_1]
      exporters: [otlp_rust/out]
"#
    )
}

fn tcp_channel(addr: SocketAddr) -> Channel {
    Endpoint::from_shared(format!("http://{addr}")).unwrap().connect_lazy()
}

fn with_secret<T>(msg: T) -> Request<T> {
    let mut req = Request::new(msg);
    req.metadata_mut().insert(SECRET_HEADER, SECRET.parse().unwrap());
    req
}

async fn wait_serving(health: SocketAddr, col: &Collector) {
    let until = std::time::Instant::now() + WAIT;
    loop {
        let r = HealthClient::new(tcp_channel(health))
            .check(with_secret(HealthCheckRequest { service: String::new() }))
            .await;
        if r.map(|r| r.into_inner().status()).ok() == Some(ServingStatus::Serving) {
            return;
        }
        assert!(
            std::time::Instant::now() < until,
            "never SERVING:\n{}",
            col.logs().join("\n")
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

fn start(dir: &Path, bridge: &TcpListener, health: &TcpListener) -> Collector {
    let mut col = Collector::spawn_with_fds(
        &config(dir, "fd://4"),
        dir,
        &["--secret-on-stdin", "--listen-fds", "2"],
        &[bridge.as_raw_fd(), health.as_raw_fd()],
    );
    writeln!(col.stdin.as_mut().unwrap(), "{SECRET}").unwrap();
    col
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_child_serves_on_the_same_inherited_sockets() {
    let dir = tempfile::tempdir().unwrap();
    let backend = Backend::start(dir.path().join("out.sock")).await;
    // The parent's side: bound once, never closed while children come and go.
    let bridge = TcpListener::bind("127.0.0.1:0").unwrap();
    let health = TcpListener::bind("127.0.0.1:0").unwrap();
    let (bridge_addr, health_addr) = (bridge.local_addr().unwrap(), health.local_addr().unwrap());

    for run in 1..=2 {
        let mut col = start(dir.path(), &bridge, &health);
        wait_serving(health_addr, &col).await;
        let logs = col.logs().join("\n");
        assert!(
            logs.contains(&bridge_addr.to_string()) && logs.contains(&health_addr.to_string()),
            "run {run}: the listening lines do not name the inherited ports:\n{logs}"
        );
        let name = format!("run{run}");
        MetricsServiceClient::new(tcp_channel(bridge_addr))
            .export(with_secret(metrics(&[(&name, 2)])))
            .await
            .expect("export over the inherited bridge socket");
        backend.wait_calls(run).await;

        col.signal(libc::SIGKILL);
        col.wait_exit(WAIT).expect("killed");
        // The child is dead; the ports are still the parent's.
        for a in [bridge_addr, health_addr] {
            let e = TcpListener::bind(a).expect_err("a squatter bound a port the parent holds");
            assert_eq!(e.kind(), std::io::ErrorKind::AddrInUse, "{a}: {e}");
        }
    }
    assert_eq!(
        points_by_name(&backend.received_metrics())
            .into_iter()
            .collect::<Vec<_>>(),
        vec![("run1".to_string(), 2), ("run2".to_string(), 2)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_fd_that_is_not_a_listening_tcp_socket_fails_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let health = dir.path().join("h.sock");
    let cfg = config(dir.path(), &format!("unix://{}", health.display()));

    // fd 3 is a regular file.
    let file = std::fs::File::create(dir.path().join("not-a-socket")).unwrap();
    let mut col = Collector::spawn_with_fds(
        &cfg,
        dir.path(),
        &["--secret-on-stdin", "--listen-fds", "1"],
        &[file.as_raw_fd()],
    );
    writeln!(col.stdin.as_mut().unwrap(), "{SECRET}").unwrap();
    assert_eq!(col.wait_exit(WAIT).expect("exits").code(), Some(1));
    let logs = col.logs().join("\n");
    assert!(
        logs.contains(
            "receivers.otlp/bridge_1: protocols.grpc.endpoint: cannot listen on fd://3: fd 3 is not a listening TCP socket: it is not a socket"
        ),
        "logs:\n{logs}"
    );

    // fd 3 is a TCP socket that was bound but never listened on.
    let connected = {
        let server = TcpListener::bind("127.0.0.1:0").unwrap();
        std::net::TcpStream::connect(server.local_addr().unwrap()).unwrap()
    };
    let mut col = Collector::spawn_with_fds(
        &cfg,
        dir.path(),
        &["--secret-on-stdin", "--listen-fds", "1"],
        &[connected.as_raw_fd()],
    );
    writeln!(col.stdin.as_mut().unwrap(), "{SECRET}").unwrap();
    assert_eq!(col.wait_exit(WAIT).expect("exits").code(), Some(1));
    let logs = col.logs().join("\n");
    assert!(
        logs.contains("fd 3 is not a listening TCP socket: it is a TCP socket that does not listen"),
        "logs:\n{logs}"
    );

    // The health listener names fd 4, which the parent did not pass: the
    // number is then whatever the child opened itself (its event loop's).
    let cfg = config(dir.path(), "fd://4");
    let bridge = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut col = Collector::spawn_with_fds(
        &cfg,
        dir.path(),
        &["--secret-on-stdin", "--listen-fds", "1"],
        &[bridge.as_raw_fd()],
    );
    writeln!(col.stdin.as_mut().unwrap(), "{SECRET}").unwrap();
    assert_eq!(col.wait_exit(WAIT).expect("exits").code(), Some(1));
    let logs = col.logs().join("\n");
    assert!(
        logs.contains(
            "extensions.health_check: endpoint: cannot listen on fd://4: fd 4 was not passed by the parent (it passed fd 3)"
        ),
        "logs:\n{logs}"
    );

    // More fds announced than passed fails before anything starts.
    let mut col = Collector::spawn_with_fds(
        &cfg,
        dir.path(),
        &["--secret-on-stdin", "--listen-fds", "2"],
        &[bridge.as_raw_fd()],
    );
    assert_eq!(col.wait_exit(WAIT).expect("exits").code(), Some(1));
    let logs = col.logs().join("\n");
    assert!(logs.contains("--listen-fds 2: fd 4 is not open"), "logs:\n{logs}");
}
