//! `jaeger.api_v2.CollectorService/PostSpans`, served with tonic's unary
//! machinery and the prost messages in `proto`. A message that does not
//! decode is answered by tonic with INVALID_ARGUMENT (grpc-go says INTERNAL;
//! either way the client must not resend it), and so are ids of a wrong
//! length; pipeline errors map through the collector's error table.

use std::convert::Infallible;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use otelcol_core::ProcessingError;
use tonic::Status;
use tonic::codec::{CompressionEncoding, EnabledCompressionEncodings};
use tonic::server::{Grpc, NamedService, UnaryService};

use crate::ingest::{Ingest, Stats};
use crate::proto::{PostSpansRequest, PostSpansResponse};
use crate::translate;

const PATH: &str = "/jaeger.api_v2.CollectorService/PostSpans";
/// grpc-go's default receive limit, which the Go receiver keeps.
pub(crate) const MAX_RECV: usize = 4 << 20;

#[derive(Clone)]
pub(crate) struct CollectorService {
    pub ingest: Ingest,
}

impl NamedService for CollectorService {
    const NAME: &'static str = "jaeger.api_v2.CollectorService";
}

impl<B> tower::Service<http::Request<B>> for CollectorService
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
        if req.uri().path() != PATH {
            return Box::pin(async { Ok(Status::unimplemented("no such method").into_http()) });
        }
        let method = PostSpans {
            ingest: self.ingest.clone(),
        };
        Box::pin(async move {
            let mut accept = EnabledCompressionEncodings::default();
            accept.enable(CompressionEncoding::Gzip);
            let codec = tonic_prost::ProstCodec::<PostSpansResponse, PostSpansRequest>::default();
            let mut grpc = Grpc::new(codec)
                .apply_compression_config(accept, EnabledCompressionEncodings::default())
                .apply_max_message_size_config(Some(MAX_RECV), None);
            let resp = grpc.unary(method, req).await;
            Ok(resp)
        })
    }
}

struct PostSpans {
    ingest: Ingest,
}

impl UnaryService<PostSpansRequest> for PostSpans {
    type Response = PostSpansResponse;
    type Future = BoxFuture<'static, Result<tonic::Response<PostSpansResponse>, Status>>;

    fn call(&mut self, request: tonic::Request<PostSpansRequest>) -> Self::Future {
        let ingest = self.ingest.clone();
        Box::pin(async move {
            let batch = request.into_inner().batch.unwrap_or_default();
            let (rs, _) = translate::from_proto(batch).map_err(|e| {
                Stats::count(&ingest.stats.refused_requests);
                Status::invalid_argument(format!("invalid Jaeger batch: {}", e.0))
            })?;
            ingest.consume(rs).await.map_err(|e: ProcessingError| e.to_status())?;
            Ok(tonic::Response::new(PostSpansResponse {}))
        })
    }
}
