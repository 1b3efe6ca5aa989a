//! The collector's Thrift endpoint: `POST /api/traces` with a Thrift-binary
//! `Batch` body (`application/x-thrift` or
//! `application/vnd.apache.thrift.binary`). Answers as the Go receiver does:
//! 202 when the pipeline took the batch, 400 for a bad content type or body,
//! 500 when the pipeline failed; 413 for a body over the size limit.

use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use otelcol_core::endpoint::Listener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::ingest::{Ingest, Stats};
use crate::thrift_model::decode_batch;
use crate::thrift_wire::Protocol;
use crate::translate;

/// The Go confighttp server's default `max_request_body_size` (20 MiB).
const MAX_BODY: usize = 20 << 20;
const PATH: &str = "/api/traces";
const THRIFT_TYPES: [&str; 2] = ["application/x-thrift", "application/vnd.apache.thrift.binary"];

type Body = Full<Bytes>;

pub(crate) struct ThriftHttpServer {
    pub ingest: Ingest,
}

impl ThriftHttpServer {
    /// Accepts connections until `stop`; each open connection then finishes
    /// the request it is serving and closes.
    pub(crate) async fn serve(self: Arc<Self>, listener: Listener, stop: CancellationToken, conns: TaskTracker) {
        otelcol_core::net::http1::serve(listener, stop, conns, "jaeger thrift_http", move |req| {
            let server = self.clone();
            async move { server.handle(req).await }
        })
        .await;
    }

    async fn handle(&self, req: Request<Incoming>) -> Response<Body> {
        if req.uri().path() != PATH {
            return plain(StatusCode::NOT_FOUND, "404 page not found");
        }
        if req.method() != Method::POST {
            return plain(StatusCode::METHOD_NOT_ALLOWED, "405 method not allowed");
        }
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
            .unwrap_or_default();
        if !THRIFT_TYPES.contains(&content_type.as_str()) {
            Stats::count(&self.ingest.stats.refused_requests);
            return plain(
                StatusCode::BAD_REQUEST,
                &format!("Unsupported content type: {content_type}"),
            );
        }
        let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
            Ok(b) => b.to_bytes(),
            Err(e) => {
                Stats::count(&self.ingest.stats.refused_requests);
                let too_large = e.downcast_ref::<http_body_util::LengthLimitError>().is_some();
                return if too_large {
                    plain(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        &format!("request body over {MAX_BODY} bytes"),
                    )
                } else {
                    plain(StatusCode::BAD_REQUEST, &format!("Unable to process request body: {e}"))
                };
            }
        };
        let batch = match decode_batch(&body, Protocol::Binary) {
            Ok(b) => b,
            Err(e) => {
                Stats::count(&self.ingest.stats.refused_requests);
                tracing::debug!(receiver = %self.ingest.receiver, error = %e, "refused a malformed Thrift body");
                return plain(StatusCode::BAD_REQUEST, &format!("Unable to process request body: {e}"));
            }
        };
        let (rs, _) = translate::from_thrift(batch);
        match self.ingest.consume(rs).await {
            Ok(()) => plain(StatusCode::ACCEPTED, ""),
            Err(e) => plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("Cannot submit Jaeger batch: {e}"),
            ),
        }
    }
}

fn plain(code: StatusCode, msg: &str) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from(if msg.is_empty() {
        String::new()
    } else {
        format!("{msg}\n")
    })));
    *r.status_mut() = code;
    if !msg.is_empty() {
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            http::HeaderValue::from_static("text/plain; charset=utf-8"),
        );
    }
    r
}
