//! The bridge secret: otelcol-hybrid makes a random secret for each start and
//! writes it as the first line of the child's stdin (argv and the environment
//! are readable by other local users on some systems; the pipe is not). Every
//! request on a bridge or the health listener carries it in [`SECRET_HEADER`],
//! in both directions, so a local process that can reach a loopback port (or
//! a socket) cannot feed a pipeline or fake readiness.

use std::io::BufRead;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use tonic::Status;
use tower::{Layer, Service};

/// The gRPC metadata key carrying the secret (grpc-go lower-cases keys too).
pub const SECRET_HEADER: &str = "x-otelcol-hybrid-secret";

/// Longest line accepted as the secret; the parent sends 64 hex characters.
const MAX_SECRET_LINE: u64 = 1024;
/// Shortest secret accepted: 32 random bytes, hex encoded, is what the parent sends.
const MIN_SECRET_LEN: usize = 32;

static PARENT_SECRET: OnceLock<Secret> = OnceLock::new();

/// A secret as sent on the wire (a header value).
#[derive(Clone)]
pub struct Secret(Arc<str>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl Secret {
    pub fn new(s: &str) -> Result<Secret, String> {
        if s.len() < MIN_SECRET_LEN {
            return Err(format!(
                "the secret is {} bytes; at least {MIN_SECRET_LEN} are required",
                s.len()
            ));
        }
        if !s.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("the secret must be printable ASCII without spaces (a header value)".to_string());
        }
        Ok(Secret(Arc::from(s)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Constant time in the value: how much of a guess was right must not
    /// show in the answer's timing. The length is not secret (it is fixed).
    pub fn matches(&self, candidate: &[u8]) -> bool {
        let want = self.0.as_bytes();
        if candidate.len() != want.len() {
            return false;
        }
        let diff = want.iter().zip(candidate).fold(0u8, |acc, (a, b)| acc | (a ^ b));
        std::hint::black_box(diff) == 0
    }
}

/// Reads the secret line (`--secret-on-stdin`): at most 1 KiB up to the first
/// newline. Nothing else is consumed that a later stdin reader would miss:
/// the same buffered reader serves both.
pub fn read_secret_line<R: BufRead>(r: &mut R) -> Result<Secret, String> {
    let mut line = String::new();
    let n = std::io::Read::take(&mut *r, MAX_SECRET_LINE)
        .read_line(&mut line)
        .map_err(|e| format!("reading the secret from stdin: {e}"))?;
    if n == 0 {
        return Err("stdin closed before the secret line".to_string());
    }
    if !line.ends_with('\n') {
        return Err(format!(
            "the secret line is not terminated within {MAX_SECRET_LINE} bytes"
        ));
    }
    Secret::new(line.trim_end_matches(['\n', '\r']))
}

/// Installs the process's secret; the first call wins.
pub fn set_parent_secret(s: Secret) -> Result<(), String> {
    PARENT_SECRET
        .set(s)
        .map_err(|_| "the parent secret is already set".to_string())
}

/// The secret the parent gave this process, if it gave one.
pub fn parent_secret() -> Option<Secret> {
    PARENT_SECRET.get().cloned()
}

/// The secret a component configured with `bridge_secret: true` uses, or the
/// error its start fails with when the parent gave none.
pub fn required_parent_secret(who: &str) -> Result<Secret, String> {
    parent_secret().ok_or_else(|| {
        format!(
            "{who}: bridge_secret is set but otelcol-rust got no secret (it is run by otelcol-hybrid with --secret-on-stdin)"
        )
    })
}

/// Refuses, with `Unauthenticated`, every request without the secret, before
/// any service sees it; on the others it removes the header, so the secret
/// never becomes client metadata that a pipeline could forward or log.
/// `None` lets every request through (a listener that is not a bridge).
#[derive(Clone, Debug, Default)]
pub struct SecretLayer {
    secret: Option<Secret>,
}

impl SecretLayer {
    pub fn new(secret: Option<Secret>) -> Self {
        SecretLayer { secret }
    }
}

impl<S> Layer<S> for SecretLayer {
    type Service = SecretService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        SecretService {
            inner,
            secret: self.secret.clone(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct SecretService<S> {
    inner: S,
    secret: Option<Secret>,
}

/// Checks and strips the header; false when the request must be refused.
pub fn admit(secret: &Secret, headers: &mut http::HeaderMap) -> bool {
    let mut values = headers.get_all(SECRET_HEADER).iter();
    let ok = match (values.next(), values.next()) {
        (Some(v), None) => secret.matches(v.as_bytes()),
        _ => false, // none, or several (which one would count?)
    };
    headers.remove(SECRET_HEADER);
    ok
}

impl<S, B, RB> Service<http::Request<B>> for SecretService<S>
where
    S: Service<http::Request<B>, Response = http::Response<RB>>,
    S::Future: Send + 'static,
    RB: tonic::codegen::Body<Data = bytes::Bytes> + Send + 'static,
    RB::Error: Into<tonic::codegen::StdError>,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = S::Error;
    type Future = futures::future::BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: http::Request<B>) -> Self::Future {
        if let Some(secret) = &self.secret
            && !admit(secret, req.headers_mut())
        {
            tracing::debug!(path = req.uri().path(), "refused a request without the bridge secret");
            let resp = Status::unauthenticated("this listener is private to otelcol-hybrid").into_http();
            return Box::pin(async move { Ok(resp) });
        }
        let fut = self.inner.call(req);
        Box::pin(async move { Ok(fut.await?.map(tonic::body::Body::new)) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    const S: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn compares_whole_values_only() {
        let s = Secret::new(S).unwrap();
        assert!(s.matches(S.as_bytes()));
        assert!(!s.matches(&S.as_bytes()[..63]));
        assert!(!s.matches(format!("{S}0").as_bytes()));
        let mut wrong = S.as_bytes().to_vec();
        wrong[63] = b'0';
        assert!(!s.matches(&wrong));
        assert!(!s.matches(b""));
        assert!(Secret::new("short").is_err());
        assert!(Secret::new(&format!("{S} x")).is_err());
        assert_eq!(format!("{s:?}"), "Secret(…)", "Debug must not print the value");
    }

    #[test]
    fn reads_one_line_and_leaves_the_rest() {
        let input = format!("{S}\nafter");
        let mut r = std::io::BufReader::new(input.as_bytes());
        assert_eq!(read_secret_line(&mut r).unwrap().as_str(), S);
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut r, &mut rest).unwrap();
        assert_eq!(rest, "after");
        let input = format!("{S}\r\n");
        let mut crlf = std::io::BufReader::new(input.as_bytes());
        assert_eq!(read_secret_line(&mut crlf).unwrap().as_str(), S);
    }

    #[test]
    fn refuses_bad_secret_lines() {
        let err = |s: &str| read_secret_line(&mut std::io::BufReader::new(s.as_bytes())).unwrap_err();
        assert!(err("").contains("closed"));
        assert!(
            err(S).contains("not terminated"),
            "a line without newline may be cut short"
        );
        assert!(err(&"a".repeat(2000)).contains("not terminated"));
        assert!(err("tooshort\n").contains("at least"));
    }

    async fn call(layer: SecretLayer, headers: &[(&str, &str)]) -> (tonic::Code, Option<http::HeaderMap>) {
        let seen = Arc::new(std::sync::Mutex::new(None));
        let seen2 = seen.clone();
        let inner = tower::service_fn(move |req: http::Request<()>| {
            *seen2.lock().unwrap() = Some(req.headers().clone());
            async { Ok::<_, std::convert::Infallible>(http::Response::new(tonic::body::Body::empty())) }
        });
        let mut b = http::Request::builder().uri("/opentelemetry.proto.collector.trace.v1.TraceService/Export");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let resp = layer.layer(inner).oneshot(b.body(()).unwrap()).await.unwrap();
        let code = Status::from_header_map(resp.headers()).map_or(tonic::Code::Ok, |s| s.code());
        let seen = seen.lock().unwrap().take();
        (code, seen)
    }

    #[tokio::test]
    async fn refuses_without_the_secret_and_strips_it_when_right() {
        let layer = SecretLayer::new(Some(Secret::new(S).unwrap()));
        for bad in [
            vec![],
            vec![(SECRET_HEADER, "nope")],
            vec![(SECRET_HEADER, &S[1..])],
            vec![(SECRET_HEADER, S), (SECRET_HEADER, S)],
        ] {
            let (code, seen) = call(layer.clone(), &bad).await;
            assert_eq!(code, tonic::Code::Unauthenticated, "{bad:?}");
            assert!(seen.is_none(), "a refused request reached the service: {bad:?}");
        }
        let (code, seen) = call(layer, &[(SECRET_HEADER, S), ("x-tenant", "a")]).await;
        assert_eq!(code, tonic::Code::Ok);
        let seen = seen.expect("the request reached the service");
        assert!(
            seen.get(SECRET_HEADER).is_none(),
            "the secret must not reach the pipeline"
        );
        assert_eq!(seen.get("x-tenant").unwrap(), "a");
    }

    #[tokio::test]
    async fn without_a_secret_everything_passes() {
        let (code, seen) = call(SecretLayer::new(None), &[(SECRET_HEADER, "whatever")]).await;
        assert_eq!(code, tonic::Code::Ok);
        assert!(seen.is_some());
    }
}
