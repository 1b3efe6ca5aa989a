//! One grpc.health.v1 state shared by every listener (otlp receivers and the
//! health_check extension): overall service "" is NOT_SERVING until every
//! pipeline has started and again as soon as shutdown begins.

use tonic_health::ServingStatus;
use tonic_health::pb::health_server::HealthServer;
use tonic_health::server::{HealthReporter, HealthService};

#[derive(Clone, Debug)]
pub struct HealthState {
    reporter: HealthReporter,
}

impl HealthState {
    pub async fn new() -> Self {
        // tonic-health starts "" as SERVING; we are not ready yet.
        let reporter = HealthReporter::new();
        reporter.set_service_status("", ServingStatus::NotServing).await;
        HealthState { reporter }
    }

    pub async fn set_serving(&self) {
        self.reporter.set_service_status("", ServingStatus::Serving).await;
    }

    pub async fn set_not_serving(&self) {
        self.reporter.set_service_status("", ServingStatus::NotServing).await;
    }

    /// A gRPC service answering from this shared state; add one per listener.
    pub fn service(&self) -> HealthServer<HealthService> {
        HealthServer::new(HealthService::from_health_reporter(self.reporter.clone()))
    }
}
