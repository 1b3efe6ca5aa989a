//! OTLP/HTTP, as the Go receiver serves it: `POST` to the signal's path,
//! `application/x-protobuf` or `application/json`, gzip request bodies, the
//! response in the request's encoding, and errors as a `google.rpc.Status` with
//! the HTTP status the collector's error table gives.
//!
//! Protobuf bodies stay encoded (validated in place); JSON bodies are
//! transcoded to protobuf once, against the same OTLP schema.

use std::io::Read;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use otelcol_core::endpoint::Listener;
use otelcol_core::model::wire::{put_len_header, put_varint};
use otelcol_core::{ClientMetadata, Payload, ProcessingError, Signal};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::handler::Handler;

/// The Go confighttp server's default `max_request_body_size` (20 MiB),
/// applied to the body as sent and again after decompression.
pub(crate) const MAX_BODY: usize = 20 << 20;

const PROTOBUF: &str = "application/x-protobuf";
const JSON: &str = "application/json";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Protobuf,
    Json,
}

impl Encoding {
    fn content_type(self) -> &'static str {
        match self {
            Encoding::Protobuf => PROTOBUF,
            Encoding::Json => JSON,
        }
    }
}

pub(crate) struct HttpServer {
    routes: Vec<(String, Signal, Handler)>,
}

type Body = Full<Bytes>;

impl HttpServer {
    pub(crate) fn new(routes: Vec<(String, Signal, Handler)>) -> Self {
        HttpServer { routes }
    }

    /// Accepts connections until `stop`; each open connection then finishes
    /// the request it is serving and closes.
    pub(crate) async fn serve(self: Arc<Self>, listener: Listener, stop: CancellationToken, conns: TaskTracker) {
        otelcol_core::net::http1::serve(listener, stop, conns, "otlp http", move |req| {
            let server = self.clone();
            async move { server.handle(req).await }
        })
        .await;
    }

    async fn handle(&self, req: Request<Incoming>) -> Response<Body> {
        let Some((_, signal, handler)) = self.routes.iter().find(|(p, _, _)| p == req.uri().path()) else {
            return plain(StatusCode::NOT_FOUND, "404 page not found");
        };
        if req.method() != Method::POST {
            let mut r = plain(
                StatusCode::METHOD_NOT_ALLOWED,
                &format!("{} method not allowed, supported: [POST]", req.method()),
            );
            r.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
            return r;
        }
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase());
        let enc = match content_type.as_deref() {
            Some(PROTOBUF) => Encoding::Protobuf,
            Some(JSON) => Encoding::Json,
            other => {
                return plain(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    &format!(
                        "{} is not supported; use {PROTOBUF} or {JSON}",
                        other.unwrap_or("no content type")
                    ),
                );
            }
        };
        let gzip = match req
            .headers()
            .get(header::CONTENT_ENCODING)
            .map(|v| v.to_str().unwrap_or("?"))
        {
            None | Some("") | Some("identity") => false,
            Some("gzip") => true,
            Some(other) => {
                return error(
                    enc,
                    &ProcessingError::Permanent {
                        message: format!("unsupported Content-Encoding {other:?}"),
                        code: Some(tonic::Code::InvalidArgument),
                    },
                );
            }
        };
        let metadata = if handler.include_metadata {
            ClientMetadata::from_http(req.headers())
        } else {
            crate::handler::trace_headers_only(|k| req.headers().get(k).and_then(|v| v.to_str().ok()))
        };
        let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
            Ok(b) => b.to_bytes(),
            Err(e) => {
                let too_big = e.downcast_ref::<http_body_util::LengthLimitError>().is_some();
                return if too_big {
                    plain(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        &format!("request body larger than {MAX_BODY} bytes"),
                    )
                } else {
                    plain(StatusCode::BAD_REQUEST, "cannot read the request body")
                };
            }
        };
        let body = if gzip {
            match gunzip(&body) {
                Ok(b) => b,
                Err(resp) => return error(enc, &resp),
            }
        } else {
            body
        };
        let payload = match parse(*signal, enc, body) {
            Ok(p) => p,
            Err(message) => {
                tracing::debug!(receiver = %handler.receiver, signal = %signal, error = %message, "refused an invalid request");
                return error(
                    enc,
                    &ProcessingError::Permanent {
                        message,
                        code: Some(tonic::Code::InvalidArgument),
                    },
                );
            }
        };
        match handler.run(metadata, None, payload).await {
            Ok(()) => {
                // Every Export*ServiceResponse we send is empty.
                let body = match enc {
                    Encoding::Protobuf => Bytes::new(),
                    Encoding::Json => Bytes::from_static(b"{}"),
                };
                with_type(StatusCode::OK, enc.content_type(), body)
            }
            Err(e) => error(enc, &e),
        }
    }
}

/// Decompresses at most MAX_BODY bytes: a small gzip bomb must not make us
/// allocate without bound.
fn gunzip(body: &[u8]) -> Result<Bytes, ProcessingError> {
    let mut out = Vec::new();
    let mut d = flate2::read::GzDecoder::new(body).take(MAX_BODY as u64 + 1);
    d.read_to_end(&mut out).map_err(|e| ProcessingError::Permanent {
        message: format!("cannot gunzip the request body: {e}"),
        code: Some(tonic::Code::InvalidArgument),
    })?;
    if out.len() > MAX_BODY {
        return Err(ProcessingError::Permanent {
            message: format!("decompressed request body larger than {MAX_BODY} bytes"),
            code: Some(tonic::Code::InvalidArgument),
        });
    }
    Ok(Bytes::from(out))
}

fn parse(signal: Signal, enc: Encoding, body: Bytes) -> Result<Payload, String> {
    match enc {
        Encoding::Protobuf => {
            Payload::from_wire(signal, body).map_err(|e| format!("invalid OTLP {signal} request: {e}"))
        }
        Encoding::Json => {
            // Transcoded against the OTLP schema (opentelemetry-proto's serde
            // support misses OTLP/JSON rules: int64 as strings, NaN, empty values).
            let pb = otelcol_core::model::json::to_protobuf(&body, otelcol_core::model::request_schema(signal))
                .map_err(|e| format!("invalid OTLP/JSON {signal} request: {e}"))?;
            Payload::from_wire(signal, pb.into()).map_err(|e| format!("invalid OTLP/JSON {signal} request: {e}"))
        }
    }
}

fn with_type(status: StatusCode, content_type: &'static str, body: Bytes) -> Response<Body> {
    let mut r = Response::new(Full::new(body));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

fn plain(status: StatusCode, text: &str) -> Response<Body> {
    with_type(status, "text/plain", Bytes::from(text.to_string()))
}

/// A `google.rpc.Status` in the request's encoding, with the status code of
/// the collector's gRPC → HTTP table, and Retry-After when the pipeline
/// asked for a delay.
fn error(enc: Encoding, e: &ProcessingError) -> Response<Body> {
    let code = e.grpc_code() as i32;
    let body = match enc {
        Encoding::Json => Bytes::from(serde_json::json!({"code": code, "message": e.message()}).to_string()),
        Encoding::Protobuf => {
            let mut b = Vec::new();
            if code != 0 {
                put_varint(&mut b, 1 << 3);
                put_varint(&mut b, code as u64);
            }
            put_len_header(&mut b, 2, e.message().len());
            b.extend_from_slice(e.message().as_bytes());
            Bytes::from(b)
        }
    };
    let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut r = with_type(status, enc.content_type(), body);
    if let Some(d) = e.retry_after() {
        let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
        r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    r
}
