//! Tower layers around tonic servers for what tonic does differently from the
//! gRPC spec and the Go collector.

use std::task::{Context, Poll};

use tonic::{Code, Status};
use tower::{Layer, Service};

/// The request's `:authority`, saved into request extensions because tonic does
/// not expose the URI to handlers (Go's gRPC puts it into the metadata).
#[derive(Clone, Debug)]
pub struct Authority(pub String);

/// Normalises status codes of transport-level rejections:
/// - a malformed protobuf body is `InvalidArgument` (tonic says `Internal`),
/// - a message over the size limit is `ResourceExhausted` (tonic says `OutOfRange`),
///
/// and records `:authority` for the request context.
#[derive(Clone, Copy, Debug, Default)]
pub struct OtlpServerLayer;

impl<S> Layer<S> for OtlpServerLayer {
    type Service = OtlpServerService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        OtlpServerService { inner }
    }
}

#[derive(Clone, Debug)]
pub struct OtlpServerService<S> {
    inner: S,
}

impl<S, B, RB> Service<http::Request<B>> for OtlpServerService<S>
where
    S: Service<http::Request<B>, Response = http::Response<RB>>,
    S::Future: Send + 'static,
    S::Error: 'static,
{
    type Response = http::Response<RB>;
    type Error = S::Error;
    type Future = futures::future::BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: http::Request<B>) -> Self::Future {
        let authority = req.uri().authority().map(|a| a.to_string()).or_else(|| {
            req.headers()
                .get(http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_string)
        });
        if let Some(a) = authority {
            req.extensions_mut().insert(Authority(a));
        }
        let fut = self.inner.call(req);
        Box::pin(async move {
            let mut resp = fut.await?;
            rewrite_status(resp.headers_mut());
            Ok(resp)
        })
    }
}

/// Unary errors are sent trailers-only, so the status is in the headers here.
fn rewrite_status(headers: &mut http::HeaderMap) {
    let Some(status) = Status::from_header_map(headers) else {
        return;
    };
    let replacement = match status.code() {
        Code::Internal if status.message().starts_with("failed to decode Protobuf message") => Code::InvalidArgument,
        Code::OutOfRange if status.message().starts_with("Error, decoded message length too large") => {
            Code::ResourceExhausted
        }
        _ => return,
    };
    let _ = Status::new(replacement, status.message().to_string()).add_header(headers);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code_after(code: Code, msg: &str) -> Code {
        let mut h = http::HeaderMap::new();
        Status::new(code, msg).add_header(&mut h).unwrap();
        rewrite_status(&mut h);
        Status::from_header_map(&h).unwrap().code()
    }

    #[test]
    fn rewrites_only_transport_rejections() {
        assert_eq!(
            code_after(Code::Internal, "failed to decode Protobuf message: x"),
            Code::InvalidArgument
        );
        assert_eq!(
            code_after(
                Code::OutOfRange,
                "Error, decoded message length too large: found 9 bytes, the limit is: 1 bytes"
            ),
            Code::ResourceExhausted
        );
        assert_eq!(code_after(Code::Internal, "exporter failed"), Code::Internal);
        assert_eq!(code_after(Code::OutOfRange, "other"), Code::OutOfRange);
    }

    #[tokio::test]
    async fn authority_reaches_the_handler_as_an_extension() {
        use tower::ServiceExt;
        let inner = tower::service_fn(|req: http::Request<()>| async move {
            let a = req.extensions().get::<Authority>().map(|a| a.0.clone());
            Ok::<_, std::convert::Infallible>(http::Response::new(a))
        });
        let svc = OtlpServerLayer.layer(inner);
        let req = http::Request::builder()
            .uri("http://localhost:4317/x.Y/Z")
            .body(())
            .unwrap();
        let resp = svc.clone().oneshot(req).await.unwrap();
        assert_eq!(resp.into_body().as_deref(), Some("localhost:4317"));
        let req = http::Request::builder()
            .uri("/x.Y/Z")
            .header("host", "bridge")
            .body(())
            .unwrap();
        assert_eq!(svc.oneshot(req).await.unwrap().into_body().as_deref(), Some("bridge"));
    }
}
