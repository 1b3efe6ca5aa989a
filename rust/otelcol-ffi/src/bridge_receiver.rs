//! Receiver `ffi_bridge`: the Rust end of a Go → Rust crossing in embedded
//! mode. It listens on nothing: `otelcol_ffi_consume` hands it encoded OTLP
//! requests by bridge name, and each runs in its own task whose result goes
//! back through the Go side's completion callback.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, LazyLock, RwLock};

use bytes::Bytes;
use otelcol_core::config::{FieldError, parse_component_config};
use otelcol_core::spans::{ActiveSpan, SpanNames};
use otelcol_core::{
    ComponentId, Consumer, Payload, ProcessingError, Receiver, ReceiverHost, Signal, TraceContext, async_trait,
};
use serde::Deserialize;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use crate::cancel::Registered;

/// How much earlier than the caller's deadline a request's own deadline
/// ends (the otlp receiver's margin).
const DEADLINE_MARGIN: std::time::Duration = std::time::Duration::from_millis(5);

otelcol_core::register!(receiver FFI_BRIDGE_RECEIVER = "ffi_bridge", [Traces, Metrics, Logs], create);

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {}

fn create(id: &ComponentId, value: serde_yaml::Value) -> Result<Arc<dyn Receiver>, FieldError> {
    let _: RawConfig = parse_component_config(value)?;
    Ok(Arc::new(BridgeReceiver {
        name: bridge_name(id).to_string(),
        id: id.clone(),
        tracker: TaskTracker::new(),
    }))
}

/// The bridge's name: the component name both ends share (`bridge_1` in
/// `ffi_bridge/bridge_1`), or the type alone for an unnamed one.
pub fn bridge_name(id: &ComponentId) -> &str {
    id.as_str().split_once('/').map_or(id.as_str(), |(_, n)| n)
}

struct Entry {
    consumers: BTreeMap<Signal, Arc<dyn Consumer>>,
    tracker: TaskTracker,
    /// The request's server span, as the otlp receiver at the Rust end of a
    /// socket bridge records it: `receiver/<id>/<signal>`.
    span_names: SpanNames,
    /// The receiver's id, for its spans, logs and panics.
    component: Arc<str>,
}

/// Started bridge receivers by bridge name.
static BRIDGES: LazyLock<RwLock<HashMap<String, Arc<Entry>>>> = LazyLock::new(Default::default);

struct BridgeReceiver {
    name: String,
    id: ComponentId,
    tracker: TaskTracker,
}

#[async_trait]
impl Receiver for BridgeReceiver {
    async fn start(&self, host: ReceiverHost) -> Result<(), String> {
        let mut map = BRIDGES.write().unwrap_or_else(|p| p.into_inner());
        if map.contains_key(&self.name) {
            return Err(format!(
                "bridge {:?} is already served by another ffi_bridge receiver",
                self.name
            ));
        }
        self.tracker.reopen();
        map.insert(
            self.name.clone(),
            Arc::new(Entry {
                consumers: host.consumers,
                tracker: self.tracker.clone(),
                span_names: SpanNames::new("receiver", self.id.as_str()),
                component: Arc::from(self.id.as_str()),
            }),
        );
        Ok(())
    }

    async fn shutdown(&self) {
        BRIDGES.write().unwrap_or_else(|p| p.into_inner()).remove(&self.name);
        self.tracker.close();
        self.tracker.wait().await;
        tracing::info!(receiver = %self.id, "ffi_bridge receiver stopped");
    }
}

/// One Go → Rust request. `done` gets the result, on a runtime thread or,
/// when the request is refused before it starts, on the caller's.
pub fn consume(
    rt: &tokio::runtime::Runtime,
    bridge: &str,
    signal: Signal,
    data: Bytes,
    ctx: otelcol_core::RequestContext,
    registered: Registered,
    done: impl FnOnce(Result<(), ProcessingError>) + Send + 'static,
) {
    let entry = BRIDGES.read().unwrap_or_else(|p| p.into_inner()).get(bridge).cloned();
    let Some(entry) = entry else {
        return done(Err(ProcessingError::retryable(format!(
            "bridge {bridge:?} has no running ffi_bridge receiver (the Rust half is not started or is shutting down)"
        ))));
    };
    let Some(consumer) = entry.consumers.get(&signal).cloned() else {
        return done(Err(ProcessingError::permanent(format!(
            "bridge {bridge:?} carries no {signal} pipeline"
        ))));
    };
    // Only the Go bridge exporter calls in, with a request Go's receiver
    // decoded: pdata's encoding of it, or the bytes its client sent. As at
    // the Rust end of a socket bridge, the framing is counted down to the
    // items, and their contents are not walked again: Go's decoder read them
    // already (it also accepts strings that are not UTF-8, and an all-Go
    // collector delivers them).
    let payload = match Payload::from_validated_sender(signal, data) {
        Ok(p) => p,
        Err(e) => {
            return done(Err(ProcessingError::Permanent {
                message: format!("invalid OTLP {signal} request: {e}"),
                code: Some(tonic::Code::InvalidArgument),
            }));
        }
    };
    let id = entry.component.clone();
    let mut ctx = ctx;
    // A caller without a span of its own may still have sent traceparent
    // (it crossed in the metadata): read it as the otlp receiver does.
    if ctx.trace.is_none() {
        ctx.trace = ctx
            .metadata
            .first("traceparent")
            .and_then(|tp| TraceContext::parse(tp, ctx.metadata.first("tracestate")));
    }
    // As the otlp receiver does with grpc-timeout: end a little before the
    // caller, so the caller gets Rust's DeadlineExceeded, not its own.
    ctx.deadline = ctx.deadline.map(|d| d.checked_sub(DEADLINE_MARGIN).unwrap_or(d));
    // Sampled and spans enabled: the request gets a SERVER span, child of the
    // Go exporter's client span, and everything downstream becomes its child.
    let items = payload.item_count();
    let server_span = ActiveSpan::start_server(
        &mut ctx.trace,
        entry.span_names.get(signal),
        entry.component.clone(),
        signal,
        items,
    );
    // The same tracing span as the otlp receiver's, so Rust's log lines of a
    // request carry its trace id in both modes.
    let span = otelcol_core::logging::request_span(&id, signal, ctx.trace.as_ref());
    let work = async move {
        let r = crate::panics::request(&id, ctx.run(consumer.consume(&ctx, payload))).await;
        if let Some(s) = server_span {
            s.end_with(&r);
        }
        // The otlp receiver's lines, so a request reads the same in both modes.
        match &r {
            Ok(()) => tracing::debug!(items, "request accepted"),
            Err(e) => tracing::warn!(items, error = %e, code = ?e.grpc_code(), "request failed"),
        }
        // Out of the registry before the caller learns the result, so a
        // caller that checks finds nothing left behind.
        drop(registered);
        done(r);
    };
    rt.spawn(entry.tracker.track_future(work.instrument(span)));
}
