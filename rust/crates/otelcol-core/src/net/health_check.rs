//! The `health_check` extension: grpc.health.v1 alone on its own listener,
//! answering from the same [`HealthState`] as the otlp receivers.

use std::path::PathBuf;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::auth::{Secret, SecretLayer};
use crate::endpoint::{ListenAddr, Listener};
use crate::health::HealthState;

pub struct HealthCheckServer {
    stop: CancellationToken,
    task: JoinHandle<()>,
    socket: Option<PathBuf>,
}

impl HealthCheckServer {
    /// With `secret`, every call (health and telemetry) must carry it.
    pub async fn start(
        addr: &ListenAddr,
        health: &HealthState,
        secret: Option<Secret>,
    ) -> Result<HealthCheckServer, String> {
        let listener = Listener::bind(addr)
            .await
            .map_err(|e| format!("endpoint: cannot listen on {addr}: {e}"))?;
        let socket = listener.socket_path().map(PathBuf::from);
        let where_ = listener.local_description();
        let stop = CancellationToken::new();
        // The component counters ride along: this listener is the one the
        // parent already dials and checks the peer of.
        let router = tonic::transport::Server::builder()
            .layer(SecretLayer::new(secret))
            .add_service(health.service())
            .add_service(crate::telemetry::metrics::service::TelemetryService);
        let stopped = stop.clone();
        let task = tokio::spawn(async move {
            if let Err(e) = router
                .serve_with_incoming_shutdown(listener.into_incoming(), stopped.cancelled_owned())
                .await
            {
                tracing::error!(extension = "health_check", error = %e, "health server failed");
            }
        });
        tracing::info!(extension = "health_check", endpoint = %where_, "health check listening");
        Ok(HealthCheckServer { stop, task, socket })
    }

    /// Stops last, so NOT_SERVING stays observable for the whole drain.
    pub async fn stop(self) {
        self.stop.cancel();
        // Watch streams would keep a graceful stop waiting forever: bound it.
        let mut task = self.task;
        if tokio::time::timeout(std::time::Duration::from_millis(500), &mut task)
            .await
            .is_err()
        {
            task.abort();
        }
        if let Some(p) = self.socket {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// The extension: `extensions: {health_check: {endpoint: unix:///path | host:port | fd://N}}`.
/// `bridge_secret: true` (set by the partitioner on the listener the parent
/// probes) requires the parent's secret on every call.
pub struct HealthCheck {
    addr: ListenAddr,
    bridge_secret: bool,
    running: tokio::sync::Mutex<Option<HealthCheckServer>>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct HealthCheckConfig {
    endpoint: String,
    #[serde(default)]
    bridge_secret: bool,
}

fn create(
    _id: &crate::ComponentId,
    value: serde_yaml::Value,
) -> Result<std::sync::Arc<dyn crate::component::Extension>, crate::config::error::FieldError> {
    let cfg: HealthCheckConfig = crate::config::error::parse_component_config(value)?;
    let addr = ListenAddr::parse(&cfg.endpoint).map_err(|e| crate::config::error::FieldError::new("endpoint", e))?;
    Ok(std::sync::Arc::new(HealthCheck {
        addr,
        bridge_secret: cfg.bridge_secret,
        running: tokio::sync::Mutex::new(None),
    }))
}

crate::register!(extension HEALTH_CHECK = "health_check", [], create);

#[async_trait::async_trait]
impl crate::component::Extension for HealthCheck {
    async fn start(&self, host: crate::component::ExtensionHost) -> Result<(), String> {
        let secret = if self.bridge_secret {
            Some(crate::auth::required_parent_secret("extensions.health_check")?)
        } else {
            None
        };
        let server = HealthCheckServer::start(&self.addr, &host.health, secret).await?;
        *self.running.lock().await = Some(server);
        Ok(())
    }

    async fn shutdown(&self) {
        if let Some(s) = self.running.lock().await.take() {
            s.stop().await;
        }
    }
}
