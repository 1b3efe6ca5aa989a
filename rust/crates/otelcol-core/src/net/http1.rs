//! Serving HTTP/1.1 on a listener until shutdown, as every Rust HTTP
//! receiver does (OTLP/HTTP, Jaeger's Thrift endpoint): accept until `stop`,
//! then let each open connection finish the request it is serving and close.
//! `conns` tracks the connection tasks, so the receiver's shutdown can wait
//! for them.

use std::convert::Infallible;

use http::{Request, Response};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio_stream::StreamExt;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::net::endpoint::Listener;

/// Serves `handle` on every connection `listener` accepts; `what` names the
/// server in the debug line of a failed accept.
pub async fn serve<H, F, B>(
    listener: Listener,
    stop: CancellationToken,
    conns: TaskTracker,
    what: &'static str,
    handle: H,
) where
    H: Fn(Request<Incoming>) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Response<B>> + Send + 'static,
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let mut incoming = listener.into_incoming();
    loop {
        let conn = tokio::select! {
            _ = stop.cancelled() => break,
            c = incoming.next() => c,
        };
        let conn = match conn {
            Some(Ok(c)) => c,
            Some(Err(e)) => {
                tracing::debug!(error = %e, "{what}: accept failed");
                continue;
            }
            None => break,
        };
        let handle = handle.clone();
        let stop = stop.clone();
        conns.spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let response = handle(req);
                async move { Ok::<_, Infallible>(response.await) }
            });
            let conn = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(conn), service);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = stop.cancelled() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
    }
}
