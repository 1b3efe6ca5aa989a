//! `otelcol_hybrid.telemetry.v1.Telemetry/Snapshot` on the health socket: the
//! parent asks, the child answers with [`super::snapshot`] as an encoded OTLP
//! `ExportMetricsServiceRequest`. The request body is ignored (send an empty
//! message). Served next to grpc.health, where only the parent can connect.

use std::convert::Infallible;
use std::task::{Context, Poll};

use bytes::{Buf, BufMut, Bytes};
use futures::future::BoxFuture;
use tonic::Status;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::server::{Grpc, NamedService, UnaryService};

pub const SERVICE: &str = "otelcol_hybrid.telemetry.v1.Telemetry";
pub const SNAPSHOT_PATH: &str = "/otelcol_hybrid.telemetry.v1.Telemetry/Snapshot";

#[derive(Clone, Copy, Debug, Default)]
pub struct TelemetryService;

impl NamedService for TelemetryService {
    const NAME: &'static str = SERVICE;
}

impl tower::Service<http::Request<tonic::body::Body>> for TelemetryService {
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<tonic::body::Body>) -> Self::Future {
        if req.uri().path() != SNAPSHOT_PATH {
            return Box::pin(async { Ok(Status::unimplemented("no such method").into_http()) });
        }
        Box::pin(async move { Ok(Grpc::new(BytesCodec).unary(Snapshot, req).await) })
    }
}

struct Snapshot;

impl UnaryService<Bytes> for Snapshot {
    type Response = Bytes;
    type Future = BoxFuture<'static, Result<tonic::Response<Bytes>, Status>>;

    fn call(&mut self, _request: tonic::Request<Bytes>) -> Self::Future {
        Box::pin(async { Ok(tonic::Response::new(Bytes::from(super::snapshot().encode()))) })
    }
}

/// Messages as bytes both ways: the answer is encoded already.
#[derive(Clone, Copy, Debug, Default)]
struct BytesCodec;

impl Codec for BytesCodec {
    type Encode = Bytes;
    type Decode = Bytes;
    type Encoder = BytesCodec;
    type Decoder = BytesCodec;

    fn encoder(&mut self) -> BytesCodec {
        BytesCodec
    }

    fn decoder(&mut self) -> BytesCodec {
        BytesCodec
    }
}

impl Encoder for BytesCodec {
    type Item = Bytes;
    type Error = Status;

    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put(item);
        Ok(())
    }
}

impl Decoder for BytesCodec {
    type Item = Bytes;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
    use prost::Message;

    use super::*;
    use crate::component::{ComponentId, Signal};
    use crate::endpoint::{ListenAddr, Target};
    use crate::health::HealthState;
    use crate::health_check::HealthCheckServer;
    use crate::telemetry::metrics::{Level, Registry, install};

    /// The parent's view: the health listener answers the snapshot method with
    /// the installed registry's counters, and an unknown method with Unimplemented.
    #[tokio::test]
    async fn the_health_listener_serves_the_snapshot() {
        let reg = Arc::new(Registry::new(Level::Normal));
        reg.receiver(&ComponentId::parse("otlp").unwrap(), "grpc", Signal::Traces)
            .record(7, &Ok(()));
        install(reg);

        let dir = tempfile::tempdir().unwrap();
        let sock = format!("unix://{}", dir.path().join("h.sock").display());
        let server = HealthCheckServer::start(&ListenAddr::parse(&sock).unwrap(), &HealthState::new().await, None)
            .await
            .unwrap();
        let channel = Target::parse(&sock, "test").unwrap().target.connect_lazy().unwrap();
        let grpc = tonic::client::Grpc::new(channel);
        let call = |path: &'static str| {
            let mut grpc = grpc.clone();
            async move {
                grpc.ready().await.unwrap();
                grpc.unary(
                    tonic::Request::new(Bytes::new()),
                    http::uri::PathAndQuery::from_static(path),
                    BytesCodec,
                )
                .await
            }
        };
        let body = call(SNAPSHOT_PATH).await.unwrap().into_inner();
        let req = ExportMetricsServiceRequest::decode(body).unwrap();
        let names: Vec<&str> = req.resource_metrics[0].scope_metrics[0]
            .metrics
            .iter()
            .map(|m| m.name.as_str())
            .collect();
        assert!(names.contains(&"otelcol_receiver_accepted_spans"), "{names:?}");
        let err = call("/otelcol_hybrid.telemetry.v1.Telemetry/Nope").await.unwrap_err();
        assert_eq!(err.code(), tonic::Code::Unimplemented);
        server.stop().await;
    }
}
