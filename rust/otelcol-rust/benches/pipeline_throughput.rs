//! Throughput of receive → advanced_filter → otlp_rust export, over unix
//! sockets, in data points per second per collector core, on 10k-point batches.
//!
//! Runs the real `otelcol-rust` binary (this build's, or `OTELCOL_RUST_BIN`)
//! between an in-process load generator and an in-process OTLP sink, and reads
//! the collector's CPU time from /proc so the result is per core, independent
//! of how many cores the machine lends it. Prints one JSON line on stdout.
//!
//! Knobs (env): BENCH_BATCHES (default 300), BENCH_CONCURRENCY (default 4).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hyper_util::rt::TokioIo;
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_client::MetricsServiceClient;
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{ExportMetricsServiceRequest, ExportMetricsServiceResponse};
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::{
    Gauge, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, metric, number_data_point,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use tokio::net::UnixStream;
use tonic::transport::{Channel, Endpoint};
use tonic::{Request, Response, Status};

const METRICS_PER_BATCH: usize = 1000;
const POINTS_PER_METRIC: usize = 10;
const BATCH_POINTS: usize = METRICS_PER_BATCH * POINTS_PER_METRIC;

fn env_usize(k: &str, default: usize) -> usize {
    std::env::var(k).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// 10k points; every 20th metric is `up` or `scrape_*` and gets dropped.
fn batch() -> (ExportMetricsServiceRequest, usize) {
    let mut kept = 0;
    let metrics = (0..METRICS_PER_BATCH)
        .map(|i| {
            let name = match i % 40 {
                0 => "up".to_string(),
                20 => format!("scrape_duration_seconds_{i}"),
                _ => {
                    kept += POINTS_PER_METRIC;
                    format!("http_server_requests_total_{i}")
                }
            };
            let attrs = vec![KeyValue {
                key: "route".into(),
                value: Some(AnyValue {
                    value: Some(any_value::Value::StringValue(format!("/api/v1/items/{}", i % 17))),
                }),
                ..Default::default()
            }];
            Metric {
                name,
                unit: "1".into(),
                data: Some(metric::Data::Gauge(Gauge {
                    data_points: (0..POINTS_PER_METRIC)
                        .map(|p| NumberDataPoint {
                            attributes: attrs.clone(),
                            time_unix_nano: 1_700_000_000_000_000_000 + p as u64,
                            value: Some(number_data_point::Value::AsDouble(p as f64)),
                            ..Default::default()
                        })
                        .collect(),
                })),
                ..Default::default()
            }
        })
        .collect();
    let resource = Resource {
        attributes: vec![KeyValue {
            key: "service.name".into(),
            value: Some(AnyValue {
                value: Some(any_value::Value::StringValue("bench".into())),
            }),
            ..Default::default()
        }],
        ..Default::default()
    };
    let req = ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(resource),
            scope_metrics: vec![ScopeMetrics {
                metrics,
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    (req, kept)
}

#[derive(Clone, Default)]
struct Sink(Arc<AtomicU64>);

impl Sink {
    /// Waits until the sink holds at least `points`; more than 30 s is lost data.
    async fn wait_for(&self, points: u64) {
        let until = Instant::now() + Duration::from_secs(30);
        while self.0.load(Ordering::SeqCst) < points {
            assert!(
                Instant::now() < until,
                "the sink got {} of {points} points within 30 s",
                self.0.load(Ordering::SeqCst)
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

#[tonic::async_trait]
impl MetricsService for Sink {
    async fn export(
        &self,
        req: Request<ExportMetricsServiceRequest>,
    ) -> Result<Response<ExportMetricsServiceResponse>, Status> {
        let n: usize = req
            .get_ref()
            .resource_metrics
            .iter()
            .flat_map(|r| &r.scope_metrics)
            .flat_map(|s| &s.metrics)
            .map(|m| match &m.data {
                Some(metric::Data::Gauge(g)) => g.data_points.len(),
                _ => 0,
            })
            .sum();
        self.0.fetch_add(n as u64, Ordering::Relaxed);
        Ok(Response::new(Default::default()))
    }
}

fn channel(path: &Path) -> Channel {
    let path = path.to_path_buf();
    Endpoint::from_static("http://localhost").connect_with_connector_lazy(tower::service_fn(move |_: http::Uri| {
        let path = path.clone();
        async move { Ok::<_, std::io::Error>(TokioIo::new(UnixStream::connect(path).await?)) }
    }))
}

/// utime + stime of `pid`, in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("read /proc stat");
    let rest = stat.rsplit_once(')').expect("stat format").1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    // After ")": state is field 0, utime field 11, stime field 12.
    let ticks: f64 = f[11].parse::<f64>().unwrap() + f[12].parse::<f64>().unwrap();
    // SAFETY: sysconf has no preconditions.
    ticks / unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64
}

/// VmHWM: the child's peak resident set, in MiB.
fn peak_rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    (kib / 1024.0 * 10.0).round() / 10.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // `cargo bench` passes --bench; nothing else to parse.
    let batches = env_usize("BENCH_BATCHES", 300);
    let concurrency = env_usize("BENCH_CONCURRENCY", 4).max(1);
    let bin = std::env::var("OTELCOL_RUST_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_otelcol-rust").to_string());
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    let sink = Sink::default();
    let listener = tokio::net::UnixListener::bind(d.join("sink.sock")).unwrap();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(MetricsServiceServer::new(sink.clone()).max_decoding_message_size(256 << 20))
            .serve_with_incoming(tokio_stream::wrappers::UnixListenerStream::new(listener)),
    );

    let cfg = format!(
        r#"
receivers:
  otlp: {{protocols: {{grpc: {{endpoint: "unix://{d}/in.sock"}}}}}}
processors:
  advanced_filter: {{drop_metrics: [up, "scrape_*"]}}
exporters:
  otlp_rust: {{endpoint: "unix://{d}/sink.sock", compression: none}}
service:
  telemetry: {{logs: {{level: info}}}}
  pipelines:
    metrics: {{receivers: [otlp], processors: [advanced_filter], exporters: [otlp_rust]}}
"#,
        d = d.display()
    );
    let cfg_path: PathBuf = d.join("bench.yaml");
    std::fs::write(&cfg_path, cfg).unwrap();
    let child = Command::new(&bin)
        .arg("--config")
        .arg(&cfg_path)
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn collector");

    let in_sock = d.join("in.sock");
    let client = MetricsServiceClient::new(channel(&in_sock)).max_encoding_message_size(256 << 20);
    let (req, kept_per_batch) = batch();
    let until = Instant::now() + Duration::from_secs(30);
    while client.clone().export(req.clone()).await.is_err() {
        assert!(Instant::now() < until, "collector did not come up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    const WARM_UP: usize = 20;
    for _ in 0..WARM_UP {
        client.clone().export(req.clone()).await.expect("warm-up");
    }
    // otlp_rust answers once a request is queued (its sending_queue is on by
    // default, as Go's is): wait for the warm-up to reach the sink before
    // zeroing it, or a late warm-up batch is counted as measured.
    // (+1: the export that found the collector up counts too.)
    sink.wait_for(((WARM_UP + 1) * kept_per_batch) as u64).await;
    sink.0.store(0, Ordering::SeqCst);

    let cpu0 = cpu_seconds(child.id());
    let t0 = Instant::now();
    let next = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (mut client, req, next) = (client.clone(), req.clone(), next.clone());
            tokio::spawn(async move {
                while next.fetch_add(1, Ordering::Relaxed) < batches as u64 {
                    client.export(req.clone()).await.expect("export");
                }
            })
        })
        .collect();
    for w in workers {
        w.await.unwrap();
    }
    // The last answers came on enqueue: the figures cover the queue's drain.
    sink.wait_for((batches * kept_per_batch) as u64).await;
    let wall = t0.elapsed().as_secs_f64();
    let cpu = cpu_seconds(child.id()) - cpu0;
    let rss_mib = peak_rss_mib(child.id());

    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let output = child.wait_with_output().unwrap();
    let status = output.status;
    // The stop line says how often the child decoded a payload into owned types.
    let log = String::from_utf8_lossy(&output.stderr);
    let full_decodes = log
        .lines()
        .filter(|l| l.contains("otelcol-rust stopped"))
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find_map(|v| {
            v.pointer("/fields/full_decodes")
                .or_else(|| v.get("full_decodes"))
                .and_then(|n| n.as_u64())
        });

    let points_in = (batches * BATCH_POINTS) as f64;
    let exported = sink.0.load(Ordering::SeqCst);
    let expected = (batches * kept_per_batch) as u64;
    assert_eq!(exported, expected, "the sink must get exactly the non-dropped points");
    assert!(status.success(), "collector exit: {status}");
    println!(
        "{}",
        serde_json::json!({
            "benchmark": "otelcol_rust_receive_filter_export",
            "transport": "unix",
            "batch_points": BATCH_POINTS,
            "batches": batches,
            "concurrency": concurrency,
            "points_in": points_in as u64,
            "points_exported": exported,
            "wall_seconds": (wall * 1000.0).round() / 1000.0,
            "collector_cpu_seconds": (cpu * 1000.0).round() / 1000.0,
            "points_per_sec": (points_in / wall).round(),
            "points_per_core_second": if cpu > 0.0 { (points_in / cpu).round() } else { 0.0 },
            "cpu_seconds_per_million_points": if points_in > 0.0 { (cpu / points_in * 1e6 * 1000.0).round() / 1000.0 } else { 0.0 },
            "full_decodes": full_decodes,
            "child_peak_rss_mib": rss_mib,
        })
    );
}
