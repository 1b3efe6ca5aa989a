//! Test harness: the real `otelcol-rust` binary, a real OTLP backend (tonic
//! server on a unix socket) and tonic clients over unix sockets.
#![allow(dead_code)]

use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hyper_util::rt::TokioIo;
use opentelemetry_proto::tonic::collector::logs::v1::logs_service_server::{LogsService, LogsServiceServer};
use opentelemetry_proto::tonic::collector::logs::v1::{ExportLogsServiceRequest, ExportLogsServiceResponse};
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_client::MetricsServiceClient;
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{ExportMetricsServiceRequest, ExportMetricsServiceResponse};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{TraceService, TraceServiceServer};
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use opentelemetry_proto::tonic::metrics::v1::{Gauge, Metric, NumberDataPoint, metric, number_data_point};
use tokio::net::UnixStream;
use tokio::sync::Semaphore;
use tonic::metadata::MetadataMap;
use tonic::transport::{Channel, Endpoint};
use tonic::{Request, Response, Status};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

pub const BIN: &str = env!("CARGO_BIN_EXE_otelcol-rust");
/// The per-start bridge secret the tests hand the child on stdin, and the
/// metadata key that carries it (the one the child checks).
pub const SECRET: &str = "5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7";
pub const SECRET_HEADER: &str = otelcol_core::auth::SECRET_HEADER;
/// Generous: CI is a loaded 2-core machine. Conditions are polled, so a fast
/// machine never waits this long.
pub const WAIT: Duration = Duration::from_secs(30);

pub struct Collector {
    pub child: Child,
    pub stdin: Option<ChildStdin>,
    logs: Arc<Mutex<Vec<String>>>,
    /// Collects stderr into `logs` until EOF; joined once the child exits, so
    /// its last lines are in `logs` when `wait_exit` returns.
    reader: Option<std::thread::JoinHandle<()>>,
    pub config_path: PathBuf,
}

impl Collector {
    pub fn spawn(config: &str, dir: &Path, extra_args: &[&str]) -> Collector {
        Collector::spawn_with_fds(config, dir, extra_args, &[])
    }

    /// As `spawn`, with `fds[i]` inherited as file descriptor 3 + i, as the
    /// parent's os/exec ExtraFiles hands listening sockets over.
    pub fn spawn_with_fds(config: &str, dir: &Path, extra_args: &[&str], fds: &[std::os::fd::RawFd]) -> Collector {
        use std::os::unix::process::CommandExt;
        let config_path = dir.join("config.yaml");
        std::fs::write(&config_path, config).unwrap();
        let mut cmd = Command::new(BIN);
        cmd.arg("--config")
            .arg(&config_path)
            .args(extra_args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let fds = fds.to_vec();
        // SAFETY: only async-signal-safe calls (fcntl, dup2) between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                // Up out of the way first, so that moving one into place
                // cannot overwrite another; dup2 then clears close-on-exec.
                let mut high = Vec::with_capacity(fds.len());
                for (i, &fd) in fds.iter().enumerate() {
                    let h = libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 200 + i as libc::c_int);
                    if h < 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    high.push(h);
                }
                for (i, h) in high.into_iter().enumerate() {
                    if libc::dup2(h, 3 + i as libc::c_int) < 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                }
                Ok(())
            });
        }
        let mut child = cmd.spawn().expect("spawn otelcol-rust");
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = logs.clone();
        let stderr = child.stderr.take().unwrap();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        let stdin = child.stdin.take();
        Collector {
            child,
            stdin,
            logs,
            reader: Some(reader),
            config_path,
        }
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    pub fn signal(&self, sig: i32) {
        // SAFETY: signalling our own, not yet reaped, child.
        unsafe { libc::kill(self.pid(), sig) };
    }

    pub fn logs(&self) -> Vec<String> {
        self.logs.lock().unwrap().clone()
    }

    /// Polls for an exit; None if still running after `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let until = Instant::now() + timeout;
        while Instant::now() < until {
            if let Some(st) = self.child.try_wait().unwrap() {
                // Its stderr is at EOF now (nothing else holds it): take
                // what the reader has not stored yet.
                if let Some(r) = self.reader.take() {
                    let _ = r.join();
                }
                return Some(st);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Waits for a JSON log line satisfying `pred`.
    pub async fn wait_log(&self, what: &str, pred: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
        let until = Instant::now() + WAIT;
        loop {
            for l in self.logs() {
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(&l)
                    && pred(&v)
                {
                    return v;
                }
            }
            assert!(
                Instant::now() < until,
                "no log line {what} in:\n{}",
                self.logs().join("\n")
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

pub fn channel(path: &Path) -> Channel {
    let path = path.to_path_buf();
    Endpoint::from_static("http://localhost").connect_with_connector_lazy(tower::service_fn(move |_: http::Uri| {
        let path = path.clone();
        async move { Ok::<_, std::io::Error>(TokioIo::new(UnixStream::connect(path).await?)) }
    }))
}

pub fn metrics_client(path: &Path) -> MetricsServiceClient<Channel> {
    MetricsServiceClient::new(channel(path))
}

pub async fn health(path: &Path) -> Result<ServingStatus, Status> {
    let mut c = HealthClient::new(channel(path));
    let r = c.check(HealthCheckRequest { service: String::new() }).await?;
    Ok(r.into_inner().status())
}

pub async fn wait_health(path: &Path, want: ServingStatus, c: &Collector) {
    let until = Instant::now() + WAIT;
    loop {
        if let Ok(s) = health(path).await
            && s == want
        {
            return;
        }
        assert!(
            Instant::now() < until,
            "{} never became {want:?}; logs:\n{}",
            path.display(),
            c.logs().join("\n")
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// One resource, one scope, one gauge per name with `points` data points.
pub fn metrics(names: &[(&str, usize)]) -> ExportMetricsServiceRequest {
    let metrics = names
        .iter()
        .map(|(name, points)| Metric {
            name: name.to_string(),
            data: Some(metric::Data::Gauge(Gauge {
                data_points: (0..*points)
                    .map(|i| NumberDataPoint {
                        value: Some(number_data_point::Value::AsInt(i as i64)),
                        ..Default::default()
                    })
                    .collect(),
            })),
            ..Default::default()
        })
        .collect();
    otelcol_core::model::testdata::in_one_scope(metrics)
}

pub fn points_by_name(reqs: &[ExportMetricsServiceRequest]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for m in reqs
        .iter()
        .flat_map(|r| &r.resource_metrics)
        .flat_map(|rm| &rm.scope_metrics)
        .flat_map(|s| &s.metrics)
    {
        let n = match &m.data {
            Some(metric::Data::Gauge(g)) => g.data_points.len(),
            Some(metric::Data::Sum(s)) => s.data_points.len(),
            Some(metric::Data::Histogram(h)) => h.data_points.len(),
            Some(metric::Data::ExponentialHistogram(h)) => h.data_points.len(),
            Some(metric::Data::Summary(s)) => s.data_points.len(),
            None => 0,
        };
        *out.entry(m.name.clone()).or_insert(0) += n;
    }
    out
}

#[derive(Default)]
pub struct BackendState {
    pub metrics: Mutex<Vec<(MetadataMap, ExportMetricsServiceRequest)>>,
    pub traces: Mutex<Vec<(MetadataMap, ExportTraceServiceRequest)>>,
    pub logs: Mutex<Vec<ExportLogsServiceRequest>>,
    /// Answers for the next calls, in order; Ok once empty.
    pub script: Mutex<VecDeque<Status>>,
    /// Every call, including failed ones, counted on arrival.
    pub calls: AtomicUsize,
    /// When set, each call waits for one permit before answering.
    pub hold: Mutex<Option<Arc<Semaphore>>>,
}

/// A real OTLP/gRPC backend on a unix socket.
#[derive(Clone)]
pub struct Backend {
    pub path: PathBuf,
    pub state: Arc<BackendState>,
}

impl Backend {
    pub async fn start(path: PathBuf) -> Backend {
        let state = Arc::new(BackendState::default());
        let listener = tokio::net::UnixListener::bind(&path).unwrap();
        let svc = BackendSvc(state.clone());
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(
                    MetricsServiceServer::new(svc.clone()).accept_compressed(tonic::codec::CompressionEncoding::Gzip),
                )
                .add_service(
                    TraceServiceServer::new(svc.clone()).accept_compressed(tonic::codec::CompressionEncoding::Gzip),
                )
                .add_service(LogsServiceServer::new(svc).accept_compressed(tonic::codec::CompressionEncoding::Gzip))
                .serve_with_incoming(tokio_stream::wrappers::UnixListenerStream::new(listener)),
        );
        Backend { path, state }
    }

    pub fn script(&self, answers: Vec<Status>) {
        *self.state.script.lock().unwrap() = answers.into();
    }

    pub fn calls(&self) -> usize {
        self.state.calls.load(Ordering::SeqCst)
    }

    pub fn received_metrics(&self) -> Vec<ExportMetricsServiceRequest> {
        self.state
            .metrics
            .lock()
            .unwrap()
            .iter()
            .map(|(_, r)| r.clone())
            .collect()
    }

    pub async fn wait_calls(&self, n: usize) {
        let until = Instant::now() + WAIT;
        while self.calls() < n {
            assert!(
                Instant::now() < until,
                "backend got {} calls, expected {n}",
                self.calls()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

#[derive(Clone)]
struct BackendSvc(Arc<BackendState>);

impl BackendSvc {
    async fn answer(&self) -> Result<(), Status> {
        self.0.calls.fetch_add(1, Ordering::SeqCst);
        let hold = self.0.hold.lock().unwrap().clone();
        if let Some(sem) = hold {
            sem.acquire().await.unwrap().forget();
        }
        match self.0.script.lock().unwrap().pop_front() {
            Some(st) => Err(st),
            None => Ok(()),
        }
    }
}

#[tonic::async_trait]
impl MetricsService for BackendSvc {
    async fn export(
        &self,
        req: Request<ExportMetricsServiceRequest>,
    ) -> Result<Response<ExportMetricsServiceResponse>, Status> {
        self.answer().await?;
        let (md, _, r) = req.into_parts();
        self.0.metrics.lock().unwrap().push((md, r));
        Ok(Response::new(Default::default()))
    }
}

#[tonic::async_trait]
impl TraceService for BackendSvc {
    async fn export(
        &self,
        req: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        self.answer().await?;
        let (md, _, r) = req.into_parts();
        self.0.traces.lock().unwrap().push((md, r));
        Ok(Response::new(Default::default()))
    }
}

#[tonic::async_trait]
impl LogsService for BackendSvc {
    async fn export(
        &self,
        req: Request<ExportLogsServiceRequest>,
    ) -> Result<Response<ExportLogsServiceResponse>, Status> {
        self.answer().await?;
        self.0.logs.lock().unwrap().push(req.into_inner());
        Ok(Response::new(Default::default()))
    }
}
