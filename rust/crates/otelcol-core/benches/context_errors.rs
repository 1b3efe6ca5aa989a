//! Per-request context and error costs on the Rust side, for `make bench` (one JSON
//! line on stdout; bench/cmd/hybench reads it):
//!   - context_decode_ns_keys10 / _keys0: the gRPC headers the Go bridge sends
//!     (10 client-metadata keys, the bridged :authority and user-agent,
//!     traceparent, grpc-timeout) → ClientMetadata + TraceContext +
//!     RequestContext, as the otlp receiver builds them;
//!   - context_bytes_keys10: heap bytes one such context holds while it is
//!     alive (a counting global allocator: live bytes after building 1000 of
//!     them and keeping them), i.e. the memory of one active context;
//!   - error_to_status_ns: ProcessingError::ResourceExhausted → tonic Status
//!     with RetryInfo → the trailers written on the wire.
//!
//! cargo bench -p otelcol-core --bench context_errors

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use otelcol_core::{ClientMetadata, ProcessingError, RequestContext, TraceContext};
use tokio_util::sync::CancellationToken;
use tonic::metadata::MetadataMap;

struct Counting;

/// Live heap bytes (requested sizes; the allocator's rounding is not seen).
static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The headers one bridge request carries (as bridge_context writes them).
fn headers(keys: usize) -> MetadataMap {
    let mut md = MetadataMap::new();
    for (k, v) in [
        ("te", "trailers"),
        ("content-type", "application/grpc"),
        ("user-agent", "grpc-go/1.83.2"),
        ("grpc-timeout", "29999m"),
        ("x-otelcol-hybrid-authority", "collector.example:4317"),
        ("x-otelcol-hybrid-user-agent", "telemetrygen/0.161"),
        ("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
    ] {
        md.insert(k, v.parse().unwrap());
    }
    for i in 0..keys {
        let k: tonic::metadata::AsciiMetadataKey = format!("x-key-{i:02}").parse().unwrap();
        md.insert(k, format!("value-{i:02}-abcdefghijklmnop").parse().unwrap());
    }
    md
}

fn decode(md: &MetadataMap) -> RequestContext {
    let mut metadata = ClientMetadata::from_grpc(md);
    metadata.restore_bridged();
    let trace = metadata
        .first("traceparent")
        .and_then(|tp| TraceContext::parse(tp, metadata.first("tracestate")));
    RequestContext {
        deadline: None,
        cancel: CancellationToken::new(),
        metadata,
        trace,
    }
}

fn error_to_wire() -> http::HeaderMap {
    let e = ProcessingError::ResourceExhausted {
        message: "resource_exhausted error: busy".to_string(),
        retry_after: Some(Duration::from_secs(3)),
    };
    let mut h = http::HeaderMap::new();
    e.to_status().add_header(&mut h).expect("status encodes");
    h
}

/// Median over 5 runs of the mean ns per call.
fn ns_per_call<T>(mut f: impl FnMut() -> T) -> f64 {
    let mut runs = Vec::new();
    for _ in 0..5 {
        let n = 50_000;
        let t = Instant::now();
        for _ in 0..n {
            black_box(f());
        }
        runs.push(t.elapsed().as_nanos() as f64 / n as f64);
    }
    runs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    runs[2]
}

/// Live bytes each result of `f` holds: build n, keep them, measure.
fn live_bytes_each<T>(mut f: impl FnMut() -> T) -> f64 {
    let n = 1000;
    let mut kept = Vec::with_capacity(n);
    let before = LIVE.load(Ordering::Relaxed);
    for _ in 0..n {
        kept.push(f());
    }
    let after = LIVE.load(Ordering::Relaxed);
    black_box(&kept);
    (after - before) as f64 / n as f64
}

fn main() {
    let (md0, md10) = (headers(0), headers(10));
    let ctx = decode(&md10);
    assert_eq!(ctx.metadata.get("X-Key-09").len(), 1);
    assert_eq!(ctx.metadata.first(":authority"), Some("collector.example:4317"));
    assert!(ctx.trace.is_some());
    assert!(error_to_wire().contains_key("grpc-status-details-bin"));
    println!(
        "{{\"context_decode_ns_keys0\":{:.1},\"context_decode_ns_keys10\":{:.1},\"context_bytes_keys0\":{:.0},\"context_bytes_keys10\":{:.0},\"error_to_status_ns\":{:.1}}}",
        ns_per_call(|| decode(&md0)),
        ns_per_call(|| decode(&md10)),
        live_bytes_each(|| decode(&md0)),
        live_bytes_each(|| decode(&md10)),
        ns_per_call(error_to_wire),
    );
}
