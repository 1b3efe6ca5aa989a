//! Listener lifecycle: bind (removing a stale socket), serve, and on shutdown
//! stop accepting, drain in-flight exports, remove the socket file.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry_proto::tonic::collector::logs::v1::logs_service_server::LogsServiceServer;
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::MetricsServiceServer;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::TraceServiceServer;
use otelcol_core::endpoint::Listener;
use otelcol_core::grpc_layers::OtlpServerLayer;
use otelcol_core::{ComponentId, Receiver, ReceiverHost, Signal, async_trait};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tonic::codec::CompressionEncoding;

use crate::config::OtlpReceiverConfig;
use crate::handler::Handler;

/// How long responses of drained requests get to reach the wire before the
/// server task is aborted (it may be held open by health Watch streams).
const RESPONSE_FLUSH_GRACE: Duration = Duration::from_secs(1);

pub struct OtlpReceiver {
    id: ComponentId,
    cfg: OtlpReceiverConfig,
    running: Mutex<Option<Running>>,
}

struct Running {
    stop: CancellationToken,
    task: JoinHandle<()>,
    tracker: TaskTracker,
    socket: Option<PathBuf>,
}

impl OtlpReceiver {
    pub fn new(id: ComponentId, cfg: OtlpReceiverConfig) -> Self {
        OtlpReceiver {
            id,
            cfg,
            running: Mutex::new(None),
        }
    }
}

#[async_trait]
impl Receiver for OtlpReceiver {
    async fn start(&self, host: ReceiverHost) -> Result<(), String> {
        let listener = Listener::bind(&self.cfg.endpoint)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", self.cfg.endpoint))?;
        let socket = listener.socket_path().map(PathBuf::from);
        let local = listener.local_description();
        let tracker = TaskTracker::new();
        let max = self.cfg.max_recv_msg_size;
        let span_names = Arc::new(otelcol_core::spans::SpanNames::new("receiver", self.id.as_str()));
        let handler = |c: &Arc<dyn otelcol_core::Consumer>| Handler {
            receiver: Arc::from(self.id.as_str()),
            span_names: span_names.clone(),
            consumer: c.clone(),
            tracker: tracker.clone(),
        };

        let mut router = tonic::transport::Server::builder()
            .layer(OtlpServerLayer)
            .add_service(host.health.service());
        if let Some(c) = host.consumers.get(&Signal::Traces) {
            router = router.add_service(
                TraceServiceServer::new(handler(c))
                    .max_decoding_message_size(max)
                    .accept_compressed(CompressionEncoding::Gzip),
            );
        }
        if let Some(c) = host.consumers.get(&Signal::Metrics) {
            router = router.add_service(
                MetricsServiceServer::new(handler(c))
                    .max_decoding_message_size(max)
                    .accept_compressed(CompressionEncoding::Gzip),
            );
        }
        if let Some(c) = host.consumers.get(&Signal::Logs) {
            router = router.add_service(
                LogsServiceServer::new(handler(c))
                    .max_decoding_message_size(max)
                    .accept_compressed(CompressionEncoding::Gzip),
            );
        }

        let stop = CancellationToken::new();
        let stopped = stop.clone();
        let id = self.id.to_string();
        let task = tokio::spawn(async move {
            if let Err(e) = router
                .serve_with_incoming_shutdown(listener.into_incoming(), stopped.cancelled_owned())
                .await
            {
                tracing::error!(receiver = %id, error = %e, "otlp server failed");
            }
        });
        let signals: Vec<&str> = host.consumers.keys().map(|s| s.as_str()).collect();
        tracing::info!(receiver = %self.id, endpoint = %local, signals = ?signals, "otlp receiver listening");
        *self.running.lock().unwrap() = Some(Running {
            stop,
            task,
            tracker,
            socket,
        });
        Ok(())
    }

    async fn shutdown(&self) {
        let Some(mut r) = self.running.lock().unwrap().take() else {
            return;
        };
        // Stop accepting (GOAWAY); in-flight RPCs keep running.
        r.stop.cancel();
        r.tracker.close();
        tokio::select! {
            _ = &mut r.task => {}
            _ = r.tracker.wait() => {
                if tokio::time::timeout(RESPONSE_FLUSH_GRACE, &mut r.task).await.is_err() {
                    r.task.abort();
                }
            }
        }
        if let Some(p) = r.socket {
            let _ = std::fs::remove_file(&p);
        }
        tracing::info!(receiver = %self.id, "otlp receiver stopped");
    }
}
