//! The OTLP/gRPC export services without decoding: the request body is taken
//! as bytes, validated in place and handed to the pipeline as a payload.
//! tonic's generated servers would decode every request into owned structs
//! first, which is the cost this receiver exists to avoid.

use std::convert::Infallible;
use std::marker::PhantomData;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes};
use futures::future::BoxFuture;
use otelcol_core::{Payload, Signal};
use tonic::Status;
use tonic::codec::{Codec, CompressionEncoding, DecodeBuf, Decoder, EnabledCompressionEncodings, EncodeBuf, Encoder};
use tonic::server::{Grpc, NamedService, UnaryService};

use crate::handler::Handler;

/// Names one signal's service, so each gets its own `NamedService` for routing.
pub(crate) trait ExportMethod: Send + Sync + 'static {
    const SIGNAL: Signal;
    const SERVICE: &'static str;
    const PATH: &'static str;
}

pub(crate) struct Traces;
pub(crate) struct Metrics;
pub(crate) struct Logs;

impl ExportMethod for Traces {
    const SIGNAL: Signal = Signal::Traces;
    const SERVICE: &'static str = "opentelemetry.proto.collector.trace.v1.TraceService";
    const PATH: &'static str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
}

impl ExportMethod for Metrics {
    const SIGNAL: Signal = Signal::Metrics;
    const SERVICE: &'static str = "opentelemetry.proto.collector.metrics.v1.MetricsService";
    const PATH: &'static str = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";
}

impl ExportMethod for Logs {
    const SIGNAL: Signal = Signal::Logs;
    const SERVICE: &'static str = "opentelemetry.proto.collector.logs.v1.LogsService";
    const PATH: &'static str = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";
}

/// One signal's `Export` method over raw bytes.
pub(crate) struct ExportService<M> {
    handler: Handler,
    max_decoding: usize,
    validated_sender: bool,
    _method: PhantomData<M>,
}

impl<M> Clone for ExportService<M> {
    fn clone(&self) -> Self {
        ExportService {
            handler: self.handler.clone(),
            max_decoding: self.max_decoding,
            validated_sender: self.validated_sender,
            _method: PhantomData,
        }
    }
}

impl<M: ExportMethod> ExportService<M> {
    pub(crate) fn new(handler: Handler, max_decoding: usize, validated_sender: bool) -> Self {
        ExportService {
            handler,
            max_decoding,
            validated_sender,
            _method: PhantomData,
        }
    }
}

impl<M: ExportMethod> NamedService for ExportService<M> {
    const NAME: &'static str = M::SERVICE;
}

impl<M: ExportMethod, B> tower::Service<http::Request<B>> for ExportService<M>
where
    B: http_body::Body + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>> + Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        if req.uri().path() != M::PATH {
            return Box::pin(async { Ok(Status::unimplemented("no such method").into_http()) });
        }
        let method = Export::<M> {
            handler: self.handler.clone(),
            validated_sender: self.validated_sender,
            _method: PhantomData,
        };
        let max = self.max_decoding;
        Box::pin(async move {
            let mut accept = EnabledCompressionEncodings::default();
            accept.enable(CompressionEncoding::Gzip);
            let mut grpc = Grpc::new(RawCodec)
                .apply_compression_config(accept, EnabledCompressionEncodings::default())
                .apply_max_message_size_config(Some(max), None);
            Ok(grpc.unary(method, req).await)
        })
    }
}

struct Export<M> {
    handler: Handler,
    validated_sender: bool,
    _method: PhantomData<M>,
}

impl<M: ExportMethod> UnaryService<Bytes> for Export<M> {
    type Response = ();
    type Future = BoxFuture<'static, Result<tonic::Response<()>, Status>>;

    fn call(&mut self, request: tonic::Request<Bytes>) -> Self::Future {
        let handler = self.handler.clone();
        let validated_sender = self.validated_sender;
        Box::pin(async move {
            let (md, ext, body) = request.into_parts();
            // Behind a bridge every request is one Go's decoder accepted:
            // pdata's encoding of it, or the very bytes the Go receiver's
            // client sent (content-type application/grpc+otelcol-hybrid-raw).
            // Either way only the framing down to the items is counted. A
            // refusal starts with "invalid OTLP ", which tells the Go half
            // that nothing ran, so it sends the request again encoded by
            // pdata.
            let payload = if validated_sender {
                Payload::from_validated_sender(M::SIGNAL, body)
            } else {
                Payload::from_wire(M::SIGNAL, body)
            };
            let payload = payload.map_err(|e| {
                tracing::debug!(receiver = %handler.receiver, signal = %M::SIGNAL, error = %e, "refused an invalid request");
                Status::invalid_argument(format!("invalid OTLP {} request: {e}", M::SIGNAL))
            })?;
            handler.handle(md, &ext, payload).await?;
            Ok(tonic::Response::new(()))
        })
    }
}

/// Bytes in, nothing out: every `Export*ServiceResponse` we send is empty, and
/// an empty message encodes to zero bytes.
#[derive(Clone, Copy, Debug, Default)]
struct RawCodec;

impl Codec for RawCodec {
    type Encode = ();
    type Decode = Bytes;
    type Encoder = EmptyEncoder;
    type Decoder = RawDecoder;

    fn encoder(&mut self) -> EmptyEncoder {
        EmptyEncoder
    }

    fn decoder(&mut self) -> RawDecoder {
        RawDecoder
    }
}

struct EmptyEncoder;

impl Encoder for EmptyEncoder {
    type Item = ();
    type Error = Status;

    fn encode(&mut self, _: (), _: &mut EncodeBuf<'_>) -> Result<(), Status> {
        Ok(())
    }
}

struct RawDecoder;

impl Decoder for RawDecoder {
    type Item = Bytes;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        // Splits tonic's receive buffer: no copy.
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}
