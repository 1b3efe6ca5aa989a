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
