//! Listener lifecycle: bind (removing a stale socket), serve, and on shutdown
//! stop accepting, drain in-flight exports, remove the socket files.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use otelcol_core::auth::{SecretLayer, required_parent_secret};
use otelcol_core::component::consumer_for_transport;
use otelcol_core::endpoint::Listener;
use otelcol_core::grpc_layers::OtlpServerLayer;
use otelcol_core::net::serving::Serving;
use otelcol_core::{ComponentId, Consumer, Receiver, ReceiverHost, Signal, async_trait};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::{GrpcSettings, HttpSettings, OtlpReceiverConfig};
use crate::grpc::{ExportService, Logs, Metrics, Traces};
use crate::handler::Handler;
use crate::http::HttpServer;

/// How long responses of drained requests get to reach the wire before the
/// server tasks are aborted (health Watch streams may hold a gRPC server open).
pub struct OtlpReceiver {
    id: ComponentId,
    cfg: OtlpReceiverConfig,
    running: Mutex<Option<Serving>>,
}

impl OtlpReceiver {
    pub fn new(id: ComponentId, cfg: OtlpReceiverConfig) -> Self {
        OtlpReceiver {
            id,
            cfg,
            running: Mutex::new(None),
        }
    }

    fn handler(&self, tracker: &TaskTracker, include_metadata: bool) -> impl Fn(&Arc<dyn Consumer>) -> Handler + use<> {
        let receiver: Arc<str> = Arc::from(self.id.as_str());
        let span_names = Arc::new(otelcol_core::spans::SpanNames::new("receiver", self.id.as_str()));
        let tracker = tracker.clone();
        move |c| Handler {
            receiver: receiver.clone(),
            span_names: span_names.clone(),
            consumer: c.clone(),
            tracker: tracker.clone(),
            include_metadata,
        }
    }

    async fn start_grpc(
        &self,
        g: &GrpcSettings,
        host: &ReceiverHost,
        tracker: &TaskTracker,
        stop: &CancellationToken,
    ) -> Result<(JoinHandle<()>, Option<PathBuf>), String> {
        // Checked before binding: a bridge must never listen without its secret.
        let secret = if g.bridge_secret {
            Some(required_parent_secret("protocols.grpc")?)
        } else {
            None
        };
        let listener = Listener::bind(&g.endpoint)
            .await
            .map_err(|e| format!("protocols.grpc.endpoint: cannot listen on {}: {e}", g.endpoint))?;
        let socket = listener.socket_path().map(PathBuf::from);
        let local = listener.local_description();
        let handler = self.handler(tracker, g.include_metadata);
        let (max, validated) = (g.max_recv_msg_size, g.validated_sender);
        // The secret is checked first: a refused request is not even counted.
        let mut router = tonic::transport::Server::builder()
            .layer(SecretLayer::new(secret))
            .layer(OtlpServerLayer)
            .add_service(host.health.service());
        if let Some(c) = host.consumers.get(&Signal::Traces) {
            router = router.add_service(ExportService::<Traces>::new(
                handler(&consumer_for_transport(c, "grpc")),
                max,
                validated,
            ));
        }
        if let Some(c) = host.consumers.get(&Signal::Metrics) {
            router = router.add_service(ExportService::<Metrics>::new(
                handler(&consumer_for_transport(c, "grpc")),
                max,
                validated,
            ));
        }
        if let Some(c) = host.consumers.get(&Signal::Logs) {
            router = router.add_service(ExportService::<Logs>::new(
                handler(&consumer_for_transport(c, "grpc")),
                max,
                validated,
            ));
        }
        let stopped = stop.clone();
        let id = self.id.to_string();
        let task = tokio::spawn(async move {
            if let Err(e) = router
                .serve_with_incoming_shutdown(listener.into_incoming(), stopped.cancelled_owned())
                .await
            {
                tracing::error!(receiver = %id, error = %e, "otlp gRPC server failed");
            }
        });
        let signals: Vec<&str> = host.consumers.keys().map(|s| s.as_str()).collect();
        tracing::info!(receiver = %self.id, endpoint = %local, protocol = "grpc", signals = ?signals, "otlp receiver listening");
        Ok((task, socket))
    }

    async fn start_http(
        &self,
        h: &HttpSettings,
        host: &ReceiverHost,
        tracker: &TaskTracker,
        stop: &CancellationToken,
    ) -> Result<(JoinHandle<()>, Option<PathBuf>), String> {
        let listener = Listener::bind(&h.endpoint)
            .await
            .map_err(|e| format!("protocols.http.endpoint: cannot listen on {}: {e}", h.endpoint))?;
        let socket = listener.socket_path().map(PathBuf::from);
        let local = listener.local_description();
        let handler = self.handler(tracker, h.include_metadata);
        let mut routes = Vec::new();
        for (signal, path) in [
            (Signal::Traces, &h.traces_path),
            (Signal::Metrics, &h.metrics_path),
            (Signal::Logs, &h.logs_path),
        ] {
            if let Some(c) = host.consumers.get(&signal) {
                routes.push((path.clone(), signal, handler(&consumer_for_transport(c, "http"))));
            }
        }
        let server = Arc::new(HttpServer::new(routes));
        let task = tokio::spawn(server.serve(listener, stop.clone(), tracker.clone()));
        tracing::info!(receiver = %self.id, endpoint = %local, protocol = "http", "otlp receiver listening");
        Ok((task, socket))
    }
}

#[async_trait]
impl Receiver for OtlpReceiver {
    async fn start(&self, host: ReceiverHost) -> Result<(), String> {
        let tracker = TaskTracker::new();
        let stop = CancellationToken::new();
        let mut tasks = Vec::new();
        let mut sockets = Vec::new();
        let started = async {
            if let Some(g) = &self.cfg.grpc {
                let (t, s) = self.start_grpc(g, &host, &tracker, &stop).await?;
                tasks.push(t);
                sockets.extend(s);
            }
            if let Some(h) = &self.cfg.http {
                let (t, s) = self.start_http(h, &host, &tracker, &stop).await?;
                tasks.push(t);
                sockets.extend(s);
            }
            Ok::<(), String>(())
        }
        .await;
        // Whatever started is stopped by shutdown, even when a later bind failed.
        *self.running.lock().unwrap() = Some(Serving {
            stop,
            tasks,
            tracker,
            sockets,
        });
        started
    }

    async fn shutdown(&self) {
        let Some(r) = self.running.lock().unwrap().take() else {
            return;
        };
        // Stop accepting (GOAWAY / close); in-flight requests keep running.
        r.shut_down().await;
        tracing::info!(receiver = %self.id, "otlp receiver stopped");
    }
}
