//! Listener lifecycle: bind every enabled protocol, serve, and on shutdown
//! stop accepting, let in-flight batches finish, remove socket files.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use otelcol_core::endpoint::{ListenAddr, Listener};
use otelcol_core::grpc_layers::OtlpServerLayer;
use otelcol_core::net::serving::Serving;
use otelcol_core::{ComponentId, Receiver, ReceiverHost, Signal, async_trait};

use crate::config::JaegerReceiverConfig;
use crate::grpc::CollectorService;
use crate::http::ThriftHttpServer;
use crate::ingest::{Ingest, Stats, StatsSnapshot};
use crate::thrift_wire::Protocol;
use crate::udp;

/// How long responses of drained requests get to reach the wire before the
/// server tasks are aborted (health Watch streams may hold a gRPC server open).
pub struct JaegerReceiver {
    id: ComponentId,
    cfg: JaegerReceiverConfig,
    stats: Arc<Stats>,
    running: Mutex<Option<Serving>>,
}

impl JaegerReceiver {
    pub fn new(id: ComponentId, cfg: JaegerReceiverConfig) -> Self {
        JaegerReceiver {
            id,
            cfg,
            stats: Arc::new(Stats::default()),
            running: Mutex::new(None),
        }
    }

    pub fn stats(&self) -> StatsSnapshot {
        self.stats.snapshot()
    }

    async fn bind(addr: &ListenAddr) -> Result<(Listener, Option<PathBuf>), String> {
        let l = Listener::bind(addr)
            .await
            .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        let socket = l.socket_path().map(PathBuf::from);
        Ok((l, socket))
    }

    async fn start_all(&self, host: &ReceiverHost, r: &mut Serving) -> Result<(), String> {
        let consumer = host
            .consumers
            .get(&Signal::Traces)
            .ok_or("the jaeger receiver only feeds traces pipelines")?
            .clone();
        let ingest = Ingest {
            receiver: Arc::from(self.id.as_str()),
            consumer,
            tracker: r.tracker.clone(),
            stats: self.stats.clone(),
        };
        if let Some(addr) = &self.cfg.grpc {
            let (listener, socket) = Self::bind(addr).await?;
            r.sockets.extend(socket);
            let local = listener.local_description();
            let router = tonic::transport::Server::builder()
                .layer(OtlpServerLayer)
                .add_service(host.health.service())
                .add_service(CollectorService {
                    ingest: ingest.for_transport("grpc"),
                });
            let stopped = r.stop.clone();
            let id = self.id.to_string();
            r.tasks.push(tokio::spawn(async move {
                if let Err(e) = router
                    .serve_with_incoming_shutdown(listener.into_incoming(), stopped.cancelled_owned())
                    .await
                {
                    tracing::error!(receiver = %id, error = %e, "jaeger gRPC server failed");
                }
            }));
            tracing::info!(receiver = %self.id, endpoint = %local, protocol = "grpc", "jaeger receiver listening");
        }
        if let Some(addr) = &self.cfg.thrift_http {
            let (listener, socket) = Self::bind(addr).await?;
            r.sockets.extend(socket);
            let local = listener.local_description();
            let server = Arc::new(ThriftHttpServer {
                ingest: ingest.for_transport("collector_http"),
            });
            r.tasks
                .push(tokio::spawn(server.serve(listener, r.stop.clone(), r.tracker.clone())));
            tracing::info!(receiver = %self.id, endpoint = %local, protocol = "thrift_http", "jaeger receiver listening");
        }
        for (u, proto, name, transport) in [
            (
                &self.cfg.thrift_compact,
                Protocol::Compact,
                "thrift_compact",
                "udp_thrift_compact",
            ),
            (
                &self.cfg.thrift_binary,
                Protocol::Binary,
                "thrift_binary",
                "udp_thrift_binary",
            ),
        ] {
            if let Some(u) = u {
                let socket = udp::bind(u).await?;
                let local = socket.local_addr().map(|a| a.to_string()).unwrap_or_default();
                let ingest = ingest.for_transport(transport);
                r.tasks.extend(udp::serve(socket, u, proto, ingest, r.stop.clone()));
                tracing::info!(receiver = %self.id, endpoint = %local, protocol = name, "jaeger receiver listening");
            }
        }
        Ok(())
    }
}

#[async_trait]
impl Receiver for JaegerReceiver {
    async fn start(&self, host: ReceiverHost) -> Result<(), String> {
        let mut r = Serving::default();
        let started = self.start_all(&host, &mut r).await;
        // Whatever started is stopped by shutdown, even when a later bind failed.
        *self.running.lock().unwrap() = Some(r);
        started
    }

    async fn shutdown(&self) {
        let Some(r) = self.running.lock().unwrap().take() else {
            return;
        };
        r.shut_down().await;
        let s = self.stats.snapshot();
        tracing::info!(
            receiver = %self.id,
            accepted_spans = s.accepted_spans,
            failed_spans = s.failed_spans,
            refused_requests = s.refused_requests,
            dropped_packets = s.dropped_packets,
            "jaeger receiver stopped"
        );
    }
}
