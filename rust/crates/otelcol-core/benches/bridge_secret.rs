//! What the bridge secret costs the Rust end of a bridge per request: the
//! `SecretLayer` check (one header lookup, a 64-byte constant-time compare,
//! the header's removal) around a service that does nothing, against the same
//! stack without a secret. The request carries ten other headers, as a bridged
//! request with client metadata does. One JSON line on stdout.
//!
//! cargo bench -p otelcol-core --bench bridge_secret

use std::hint::black_box;
use std::time::Instant;

use otelcol_core::auth::{SECRET_HEADER, Secret, SecretLayer};
use tower::{Layer, Service, ServiceExt};

const SECRET: &str = "5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7";

fn request() -> http::Request<()> {
    let mut b = http::Request::builder().uri("/opentelemetry.proto.collector.metrics.v1.MetricsService/Export");
    for i in 0..10 {
        b = b.header(format!("x-key-{i}"), "value");
    }
    b.header(SECRET_HEADER, SECRET).body(()).unwrap()
}

async fn ns_per_request(layer: SecretLayer, n: u32) -> f64 {
    let inner = tower::service_fn(|req: http::Request<()>| async move {
        black_box(req);
        Ok::<_, std::convert::Infallible>(http::Response::new(tonic::body::Body::empty()))
    });
    let mut svc = layer.layer(inner);
    let reqs: Vec<_> = (0..n).map(|_| request()).collect();
    let start = Instant::now();
    for req in reqs {
        let resp = svc.ready().await.unwrap().call(req).await.unwrap();
        black_box(resp);
    }
    start.elapsed().as_nanos() as f64 / f64::from(n)
}

/// The check alone on a request whose headers are not in the cache (as a
/// new request's are not): lookup, compare, removal.
fn admit_ns(n: u32) -> f64 {
    let secret = Secret::new(SECRET).unwrap();
    let mut reqs: Vec<_> = (0..n).map(|_| request()).collect();
    let start = Instant::now();
    for r in &mut reqs {
        black_box(otelcol_core::auth::admit(&secret, r.headers_mut()));
    }
    start.elapsed().as_nanos() as f64 / f64::from(n)
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let n = 200_000;
    let secret = || SecretLayer::new(Some(Secret::new(SECRET).unwrap()));
    rt.block_on(async {
        // Warm up both paths, then take the best of five.
        ns_per_request(SecretLayer::new(None), n / 10).await;
        ns_per_request(secret(), n / 10).await;
        let (mut off, mut on, mut check) = (f64::MAX, f64::MAX, f64::MAX);
        for _ in 0..5 {
            off = off.min(ns_per_request(SecretLayer::new(None), n).await);
            on = on.min(ns_per_request(secret(), n).await);
            check = check.min(admit_ns(n));
        }
        println!(
            "{{\"bench\":\"bridge_secret\",\"ns_per_request_without\":{off:.1},\"ns_per_request_with\":{on:.1},\"added_ns\":{:.1},\"admit_ns\":{check:.1}}}",
            on - off
        );
    });
}
