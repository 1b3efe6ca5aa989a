//! The collector's own spans (`service.telemetry.traces`), exported over
//! OTLP/gRPC so the Rust half shows up in the caller's trace.
//!
//! Sampling is parent-based with no roots: a span is recorded only when the
//! request arrived with a W3C trace context whose sampled flag is set. Spans go
//! through a bounded queue (full = dropped and counted, never waited for) to a
//! background task that batches them (≤ [`MAX_BATCH`] spans or every
//! [`BATCH_INTERVAL`]) and exports them; an export failure is logged and the
//! batch dropped. Telemetry never blocks or fails data.
//!
//! Disabled (no recorder installed), [`ActiveSpan::start`] costs one
//! `OnceLock` load.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status, span, status};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tonic::metadata::{AsciiMetadataKey, AsciiMetadataValue};
use tonic::transport::Channel;

use crate::component::Signal;
use crate::context::TraceContext;
use crate::endpoint::Target;
use crate::error::ProcessingError;

/// Spans waiting for export; more are dropped.
pub const QUEUE_SIZE: usize = 4096;
/// Spans per export request.
pub const MAX_BATCH: usize = 512;
/// A partial batch waits at most this long.
pub const BATCH_INTERVAL: Duration = Duration::from_secs(1);
/// Per export request.
pub const EXPORT_TIMEOUT: Duration = Duration::from_secs(5);
/// Instrumentation scope of every span.
pub const SCOPE_NAME: &str = "otelcol-rust";
/// `service.name` when `service.telemetry.traces.resource` does not set it.
pub const DEFAULT_SERVICE_NAME: &str = "otelcol-rust";

/// Attribute keys.
pub const ATTR_COMPONENT_ID: &str = "otelcol.component.id";
pub const ATTR_SIGNAL: &str = "otelcol.signal";
pub const ATTR_ITEMS: &str = "otelcol.items";
pub const ATTR_ATTEMPTS: &str = "otelcol.attempts";
pub const ATTR_RPC_SYSTEM: &str = "rpc.system";
pub const ATTR_GRPC_STATUS_CODE: &str = "rpc.grpc.status_code";

// Span.flags bits besides the W3C trace flags (OTLP SpanFlags).
const FLAG_HAS_IS_REMOTE: u32 = 0x100;
const FLAG_IS_REMOTE: u32 = 0x200;

/// The validated `service.telemetry.traces` (present only with an endpoint).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpanExportConfig {
    pub target: Target,
    pub headers: Vec<(AsciiMetadataKey, AsciiMetadataValue)>,
    /// Resource attributes, `service.name` always among them.
    pub resource: Vec<(String, String)>,
}

static RECORDER: OnceLock<Recorder> = OnceLock::new();

/// Installs the process-wide recorder and starts its export task (needs a
/// running tokio runtime). A second call keeps the first recorder.
pub fn install(cfg: &SpanExportConfig) -> Result<(), String> {
    if RECORDER.get().is_some() {
        tracing::warn!("span recorder already installed; keeping the first one");
        return Ok(());
    }
    let rec = Recorder::start(cfg)?;
    if RECORDER.set(rec).is_err() {
        tracing::warn!("span recorder already installed; keeping the first one");
    }
    tracing::info!(endpoint = %cfg.target, "exporting the collector's own spans (sampled requests only)");
    Ok(())
}

/// True once a recorder is installed.
pub fn enabled() -> bool {
    RECORDER.get().is_some()
}

/// Stops recording and exports what is queued, waiting at most `timeout`.
pub async fn shutdown(timeout: Duration) {
    if let Some(rec) = RECORDER.get() {
        rec.shutdown(timeout).await;
    }
}

/// What a span describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpanKind {
    /// Handling an incoming RPC (its parent is the remote caller).
    Server,
    /// An outgoing call (its parent is in this process).
    Client,
}

/// Span names of one component per signal, built once: `<prefix>/<id>/<signal>`.
#[derive(Clone, Debug)]
pub struct SpanNames([Arc<str>; 3]);

impl SpanNames {
    pub fn new(prefix: &str, id: &str) -> SpanNames {
        SpanNames([Signal::Traces, Signal::Metrics, Signal::Logs].map(|s| Arc::from(format!("{prefix}/{id}/{s}"))))
    }

    pub fn get(&self, signal: Signal) -> &Arc<str> {
        match signal {
            Signal::Traces => &self.0[0],
            Signal::Metrics => &self.0[1],
            Signal::Logs => &self.0[2],
        }
    }
}

/// An attribute value, kept cheap until the export task encodes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttrValue {
    Static(&'static str),
    Str(Arc<str>),
    Int(i64),
}

impl From<&'static str> for AttrValue {
    fn from(s: &'static str) -> Self {
        AttrValue::Static(s)
    }
}

impl From<Arc<str>> for AttrValue {
    fn from(s: Arc<str>) -> Self {
        AttrValue::Str(s)
    }
}

impl From<i64> for AttrValue {
    fn from(v: i64) -> Self {
        AttrValue::Int(v)
    }
}

impl From<usize> for AttrValue {
    fn from(v: usize) -> Self {
        AttrValue::Int(i64::try_from(v).unwrap_or(i64::MAX))
    }
}

impl From<u32> for AttrValue {
    fn from(v: u32) -> Self {
        AttrValue::Int(v.into())
    }
}

#[derive(Debug)]
enum SpanStatus {
    Unset,
    Ok,
    Error(String),
}

/// A finished span, as queued for export.
#[derive(Debug)]
struct SpanData {
    trace_id: [u8; 16],
    span_id: [u8; 8],
    parent_span_id: [u8; 8],
    trace_flags: u8,
    trace_state: String,
    kind: SpanKind,
    name: Arc<str>,
    start_unix_nano: u64,
    end_unix_nano: u64,
    attributes: Vec<(&'static str, AttrValue)>,
    status: SpanStatus,
}

/// A span being recorded. Ends with [`ActiveSpan::end`]; dropped without it
/// (the operation was abandoned: cancelled future, panic) it is still recorded,
/// with status ERROR unless a status was set.
pub struct ActiveSpan {
    data: Option<SpanData>,
    recorder: &'static Recorder,
}

impl ActiveSpan {
    /// Starts a child of `parent` now, or returns `None` (nothing recorded) when
    /// spans are disabled, there is no parent, or the parent is not sampled.
    pub fn start(parent: Option<&TraceContext>, kind: SpanKind, name: &Arc<str>) -> Option<ActiveSpan> {
        let recorder = RECORDER.get()?;
        Self::start_in(recorder, parent, kind, name)
    }

    /// A receiver's SERVER span for one request of `items` items: a child of
    /// the caller's `trace`, which it then replaces, so that everything
    /// downstream becomes the span's child. `None` (and `trace` untouched)
    /// when nothing is recorded.
    pub fn start_server(
        trace: &mut Option<TraceContext>,
        name: &Arc<str>,
        component: Arc<str>,
        signal: Signal,
        items: usize,
    ) -> Option<ActiveSpan> {
        let mut span = Self::start(trace.as_ref(), SpanKind::Server, name)?;
        span.set_component(component, signal, items);
        *trace = Some(span.context());
        Some(span)
    }

    fn start_in(
        recorder: &'static Recorder,
        parent: Option<&TraceContext>,
        kind: SpanKind,
        name: &Arc<str>,
    ) -> Option<ActiveSpan> {
        let parent = parent.filter(|p| p.is_sampled())?;
        Some(ActiveSpan {
            data: Some(SpanData {
                trace_id: parent.trace_id,
                span_id: new_span_id(),
                parent_span_id: parent.span_id,
                trace_flags: parent.flags,
                trace_state: parent.trace_state.clone(),
                kind,
                name: name.clone(),
                start_unix_nano: unix_nanos(),
                end_unix_nano: 0,
                attributes: Vec::with_capacity(6),
                status: SpanStatus::Unset,
            }),
            recorder,
        })
    }

    fn data(&mut self) -> &mut SpanData {
        self.data.as_mut().expect("span data is present until drop")
    }

    /// The context of this span, for its children (and for `traceparent`).
    pub fn context(&self) -> TraceContext {
        let d = self.data.as_ref().expect("span data is present until drop");
        TraceContext {
            trace_id: d.trace_id,
            span_id: d.span_id,
            flags: d.trace_flags,
            trace_state: d.trace_state.clone(),
        }
    }

    pub fn set_attribute(&mut self, key: &'static str, value: impl Into<AttrValue>) {
        let value = value.into();
        let attrs = &mut self.data().attributes;
        match attrs.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => *v = value,
            None => attrs.push((key, value)),
        }
    }

    pub fn set_ok(&mut self) {
        self.data().status = SpanStatus::Ok;
    }

    pub fn set_error(&mut self, message: impl Into<String>) {
        self.data().status = SpanStatus::Error(message.into());
    }

    /// The attributes every component span carries: which component, which
    /// signal, how many items, over gRPC.
    pub fn set_component(&mut self, id: Arc<str>, signal: Signal, items: usize) {
        self.set_attribute(ATTR_COMPONENT_ID, id);
        self.set_attribute(ATTR_SIGNAL, signal.as_str());
        self.set_attribute(ATTR_ITEMS, items);
        self.set_attribute(ATTR_RPC_SYSTEM, "grpc");
    }

    /// Ends the span with the outcome of its operation: the gRPC code the
    /// caller sees, and the error message on failure.
    pub fn end_with(mut self, outcome: &Result<(), ProcessingError>) {
        match outcome {
            Ok(()) => {
                self.set_attribute(ATTR_GRPC_STATUS_CODE, 0i64);
                self.set_ok();
            }
            Err(e) => {
                self.set_attribute(ATTR_GRPC_STATUS_CODE, e.grpc_code() as i64);
                self.set_error(e.message());
            }
        }
        self.end();
    }

    /// Ends the span now and queues it for export.
    pub fn end(mut self) {
        if let Some(mut d) = self.data.take() {
            d.end_unix_nano = unix_nanos();
            self.recorder.record(d);
        }
    }
}

impl Drop for ActiveSpan {
    fn drop(&mut self) {
        if let Some(mut d) = self.data.take() {
            if matches!(d.status, SpanStatus::Unset) {
                d.status = SpanStatus::Error("abandoned before it ended (cancelled or panicked)".to_string());
            }
            d.end_unix_nano = unix_nanos();
            self.recorder.record(d);
        }
    }
}

fn unix_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// A random non-zero span id: a per-thread xorshift64 seeded from the std
/// hasher's random keys (ids need uniqueness, not unpredictability).
fn new_span_id() -> [u8; 8] {
    thread_local! {
        static STATE: Cell<u64> = Cell::new(seed());
    }
    STATE.with(|s| {
        let mut x = s.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.set(x);
        x.to_be_bytes()
    })
}

fn seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(unix_nanos() as u128);
    h.write_u64(std::process::id().into());
    match h.finish() {
        0 => 0x9e37_79b9_7f4a_7c15,
        x => x,
    }
}

/// Drop accounting shared by the recorder and its export task.
#[derive(Default)]
struct Drops {
    count: AtomicU64,
    in_burst: AtomicBool,
}

pub(crate) struct Recorder {
    tx: mpsc::Sender<SpanData>,
    drops: Arc<Drops>,
    closed: AtomicBool,
    stop: CancellationToken,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Recorder {
    fn start(cfg: &SpanExportConfig) -> Result<Recorder, String> {
        let channel = cfg.target.connect_lazy()?;
        let (tx, rx) = mpsc::channel(QUEUE_SIZE);
        let drops = Arc::new(Drops::default());
        let stop = CancellationToken::new();
        let sender = SpanSender::new(cfg, channel);
        let task = tokio::spawn(run(rx, sender, drops.clone(), stop.clone()));
        Ok(Recorder {
            tx,
            drops,
            closed: AtomicBool::new(false),
            stop,
            task: Mutex::new(Some(task)),
        })
    }

    fn record(&self, span: SpanData) {
        if self.closed.load(Ordering::Relaxed) {
            return;
        }
        if let Err(mpsc::error::TrySendError::Full(_)) = self.tx.try_send(span) {
            self.drops.count.fetch_add(1, Ordering::Relaxed);
            if !self.drops.in_burst.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    queue = QUEUE_SIZE,
                    "span queue full: dropping spans until the exporter catches up"
                );
            }
        }
    }

    async fn shutdown(&self, timeout: Duration) {
        self.closed.store(true, Ordering::Relaxed);
        self.stop.cancel();
        let task = self.task.lock().unwrap().take();
        if let Some(mut task) = task
            && tokio::time::timeout(timeout, &mut task).await.is_err()
        {
            tracing::warn!(?timeout, "span flush did not finish in time; remaining spans dropped");
            task.abort();
        }
    }
}

/// The export task: batch, send, and on stop export what is queued.
async fn run(mut rx: mpsc::Receiver<SpanData>, mut sender: SpanSender, drops: Arc<Drops>, stop: CancellationToken) {
    let mut batch: Vec<SpanData> = Vec::with_capacity(MAX_BATCH);
    let mut tick = tokio::time::interval(BATCH_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            biased;
            _ = stop.cancelled() => break,
            got = rx.recv() => {
                let Some(span) = got else { break };
                batch.push(span);
                let mut drained = false;
                while batch.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(span) => batch.push(span),
                        Err(_) => {
                            drained = true;
                            break;
                        }
                    }
                }
                if drained && drops.in_burst.swap(false, Ordering::Relaxed) {
                    let n = drops.count.swap(0, Ordering::Relaxed);
                    tracing::warn!(dropped = n, "span queue drained; spans were dropped while it was full");
                }
                if batch.len() >= MAX_BATCH {
                    sender.export(std::mem::take(&mut batch)).await;
                }
            }
            _ = tick.tick() => {
                if !batch.is_empty() {
                    sender.export(std::mem::take(&mut batch)).await;
                }
            }
        }
    }
    rx.close();
    while let Ok(span) = rx.try_recv() {
        batch.push(span);
        if batch.len() >= MAX_BATCH {
            sender.export(std::mem::take(&mut batch)).await;
        }
    }
    if !batch.is_empty() {
        sender.export(batch).await;
    }
}

struct SpanSender {
    client: TraceServiceClient<Channel>,
    headers: Vec<(AsciiMetadataKey, AsciiMetadataValue)>,
    resource: Resource,
    endpoint: String,
    failures: u64,
}

impl SpanSender {
    fn new(cfg: &SpanExportConfig, channel: Channel) -> SpanSender {
        SpanSender {
            client: TraceServiceClient::new(channel),
            headers: cfg.headers.clone(),
            resource: Resource {
                attributes: cfg
                    .resource
                    .iter()
                    .map(|(k, v)| key_value(k.clone(), any_value::Value::StringValue(v.clone())))
                    .collect(),
                ..Default::default()
            },
            endpoint: cfg.target.to_string(),
            failures: 0,
        }
    }

    fn request(&self, batch: Vec<SpanData>) -> ExportTraceServiceRequest {
        ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource: Some(self.resource.clone()),
                scope_spans: vec![ScopeSpans {
                    scope: Some(InstrumentationScope {
                        name: SCOPE_NAME.to_string(),
                        version: env!("CARGO_PKG_VERSION").to_string(),
                        ..Default::default()
                    }),
                    spans: batch.into_iter().map(to_proto).collect(),
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
    }

    async fn export(&mut self, batch: Vec<SpanData>) {
        let n = batch.len();
        let mut req = tonic::Request::new(self.request(batch));
        for (k, v) in &self.headers {
            req.metadata_mut().insert(k.clone(), v.clone());
        }
        req.set_timeout(EXPORT_TIMEOUT);
        let outcome = match tokio::time::timeout(EXPORT_TIMEOUT, self.client.export(req)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(status)) => Err(format!("{:?}: {}", status.code(), status.message())),
            Err(_) => Err(format!("no answer within {EXPORT_TIMEOUT:?}")),
        };
        match outcome {
            Ok(()) => {
                if self.failures > 0 {
                    tracing::info!(endpoint = %self.endpoint, failed_exports = self.failures, "span export recovered");
                }
                self.failures = 0;
            }
            Err(error) => {
                // One warning per failure streak; the rest at debug.
                if self.failures == 0 {
                    tracing::warn!(endpoint = %self.endpoint, spans = n, %error, "span export failed; spans dropped");
                } else {
                    tracing::debug!(endpoint = %self.endpoint, spans = n, %error, "span export failed; spans dropped");
                }
                self.failures += 1;
            }
        }
    }
}

fn key_value(key: String, value: any_value::Value) -> KeyValue {
    KeyValue {
        key,
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}

fn to_proto(d: SpanData) -> Span {
    let (kind, remote) = match d.kind {
        SpanKind::Server => (span::SpanKind::Server, FLAG_IS_REMOTE),
        SpanKind::Client => (span::SpanKind::Client, 0),
    };
    // Success is exported as Unset, as instrumentation libraries do (OK is
    // the application's to set); `Ok` only tells an ended span from an
    // abandoned one.
    let status = match d.status {
        SpanStatus::Unset | SpanStatus::Ok => None,
        SpanStatus::Error(message) => Some(Status {
            code: status::StatusCode::Error as i32,
            message,
        }),
    };
    Span {
        trace_id: d.trace_id.to_vec(),
        span_id: d.span_id.to_vec(),
        trace_state: d.trace_state,
        parent_span_id: d.parent_span_id.to_vec(),
        flags: u32::from(d.trace_flags) | FLAG_HAS_IS_REMOTE | remote,
        name: d.name.to_string(),
        kind: kind as i32,
        start_time_unix_nano: d.start_unix_nano,
        end_time_unix_nano: d.end_unix_nano,
        attributes: d
            .attributes
            .into_iter()
            .map(|(k, v)| {
                let v = match v {
                    AttrValue::Static(s) => any_value::Value::StringValue(s.to_string()),
                    AttrValue::Str(s) => any_value::Value::StringValue(s.to_string()),
                    AttrValue::Int(i) => any_value::Value::IntValue(i),
                };
                key_value(k.to_string(), v)
            })
            .collect(),
        status,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
    use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{TraceService, TraceServiceServer};

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<(tonic::metadata::MetadataMap, ExportTraceServiceRequest)>>>);

    #[tonic::async_trait]
    impl TraceService for Sink {
        async fn export(
            &self,
            req: tonic::Request<ExportTraceServiceRequest>,
        ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
            let (md, _, r) = req.into_parts();
            self.0.lock().unwrap().push((md, r));
            Ok(tonic::Response::new(Default::default()))
        }
    }

    fn parent(flags: u8) -> TraceContext {
        TraceContext::parse(
            &format!("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-{flags:02x}"),
            Some("k=v"),
        )
        .unwrap()
    }

    #[test]
    fn span_ids_are_non_zero_and_distinct() {
        let ids: std::collections::HashSet<[u8; 8]> = (0..10_000).map(|_| new_span_id()).collect();
        assert_eq!(ids.len(), 10_000);
        assert!(!ids.contains(&[0; 8]));
    }

    #[test]
    fn names_per_signal() {
        let n = SpanNames::new("receiver", "otlp/bridge_1");
        assert_eq!(&**n.get(Signal::Metrics), "receiver/otlp/bridge_1/metrics");
        assert_eq!(&**n.get(Signal::Traces), "receiver/otlp/bridge_1/traces");
        assert_eq!(&**n.get(Signal::Logs), "receiver/otlp/bridge_1/logs");
    }

    #[test]
    fn disabled_records_nothing() {
        // No recorder is installed in unit tests.
        assert!(!enabled());
        assert!(ActiveSpan::start(Some(&parent(1)), SpanKind::Server, &Arc::from("x")).is_none());
    }

    #[tokio::test]
    async fn sampled_spans_are_batched_exported_and_flushed_on_shutdown() {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("t.sock");
        let sink = Sink::default();
        let listener = tokio::net::UnixListener::bind(&sock).unwrap();
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(TraceServiceServer::new(sink.clone()))
                .serve_with_incoming(tokio_stream::wrappers::UnixListenerStream::new(listener)),
        );
        let cfg = SpanExportConfig {
            target: Target::Unix(sock),
            headers: vec![("x-key".parse().unwrap(), "v".parse().unwrap())],
            resource: vec![("service.name".into(), "svc".into())],
        };
        let rec: &'static Recorder = Box::leak(Box::new(Recorder::start(&cfg).unwrap()));
        let name: Arc<str> = Arc::from("receiver/otlp/metrics");

        assert!(ActiveSpan::start_in(rec, Some(&parent(0)), SpanKind::Server, &name).is_none());
        assert!(ActiveSpan::start_in(rec, None, SpanKind::Server, &name).is_none());

        let mut server = ActiveSpan::start_in(rec, Some(&parent(1)), SpanKind::Server, &name).unwrap();
        server.set_attribute(ATTR_ITEMS, 3usize);
        server.set_attribute(ATTR_SIGNAL, "metrics");
        server.set_ok();
        let ctx = server.context();
        let client = ActiveSpan::start_in(rec, Some(&ctx), SpanKind::Client, &name).unwrap();
        drop(client); // abandoned: still recorded, as an error
        server.end();
        rec.shutdown(Duration::from_secs(5)).await;

        let got = sink.0.lock().unwrap();
        assert_eq!(got.len(), 1, "one batch");
        let (md, req) = &got[0];
        assert_eq!(md.get("x-key").unwrap(), "v");
        let rs = &req.resource_spans[0];
        assert_eq!(rs.resource.as_ref().unwrap().attributes[0].key, "service.name");
        assert_eq!(rs.scope_spans[0].scope.as_ref().unwrap().name, SCOPE_NAME);
        let spans = &rs.scope_spans[0].spans;
        assert_eq!(spans.len(), 2);
        let (c, s) = (&spans[0], &spans[1]);
        assert_eq!(s.trace_id, parent(1).trace_id.to_vec());
        assert_eq!(s.parent_span_id, parent(1).span_id.to_vec());
        assert_eq!(s.span_id, ctx.span_id.to_vec());
        assert_eq!(s.trace_state, "k=v");
        assert_eq!(s.kind, span::SpanKind::Server as i32);
        assert_eq!(s.flags, 0x301);
        assert!(s.status.is_none(), "success is exported as Unset");
        assert!(s.end_time_unix_nano >= s.start_time_unix_nano && s.start_time_unix_nano > 0);
        assert_eq!(s.attributes.len(), 2);
        assert_eq!(c.parent_span_id, ctx.span_id.to_vec());
        assert_eq!(c.kind, span::SpanKind::Client as i32);
        assert_eq!(c.flags, 0x101);
        assert_eq!(c.status.as_ref().unwrap().code, status::StatusCode::Error as i32);

        // After shutdown nothing more is recorded (and nothing blocks).
        ActiveSpan::start_in(rec, Some(&parent(1)), SpanKind::Server, &name)
            .unwrap()
            .end();
    }
}
