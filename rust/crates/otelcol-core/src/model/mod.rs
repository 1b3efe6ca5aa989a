//! The data model: a payload is an encoded OTLP export request plus views over
//! it. Receivers validate the bytes once; components read through views and
//! drop items by copying the ranges they keep; exporters send the bytes as
//! they are. Decoding into owned prost types is the exception and is counted
//! (see [`full_decodes`]) so a slow path shows up in benchmarks.

pub mod edit;
pub mod json;
pub mod schema;
mod signal;
pub mod testdata;
pub mod validate;
pub mod view;
pub mod wire;

use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;

pub use edit::Retained;
pub use signal::Signal;
pub use validate::InvalidPayload;
pub use view::{
    AnyValueView, Attributes, DataPointView, ItemView, LogView, MetricType, MetricView, ResourceView, ScopeView,
    SpanView,
};

static FULL_DECODES: AtomicU64 = AtomicU64::new(0);

/// How many times this process decoded a payload into owned types.
pub fn full_decodes() -> u64 {
    FULL_DECODES.load(Ordering::Relaxed)
}

/// An export request in its owned, decoded form.
#[derive(Clone, Debug, PartialEq)]
pub enum Request {
    Traces(ExportTraceServiceRequest),
    Metrics(ExportMetricsServiceRequest),
    Logs(ExportLogsServiceRequest),
}

impl Request {
    pub fn signal(&self) -> Signal {
        match self {
            Request::Traces(_) => Signal::Traces,
            Request::Metrics(_) => Signal::Metrics,
            Request::Logs(_) => Signal::Logs,
        }
    }
}

/// The schema of a signal's export request.
pub fn request_schema(signal: Signal) -> &'static schema::Msg {
    match signal {
        Signal::Traces => &schema::TRACES_REQUEST,
        Signal::Metrics => &schema::METRICS_REQUEST,
        Signal::Logs => &schema::LOGS_REQUEST,
    }
}

/// One export request as it travels through a pipeline. Cloning shares the bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payload {
    signal: Signal,
    bytes: Bytes,
    items: usize,
}

impl Payload {
    /// Validates a request body received from the wire.
    pub fn from_wire(signal: Signal, bytes: Bytes) -> Result<Payload, InvalidPayload> {
        let items = validate::validate(&bytes, request_schema(signal))?;
        Ok(Payload { signal, bytes, items })
    }

    /// A request body from a sender that validated it already (the Go half,
    /// across a bridge): framing is checked down to the items, their contents
    /// are not (see [`validate::count_items`]).
    pub fn from_validated_sender(signal: Signal, bytes: Bytes) -> Result<Payload, InvalidPayload> {
        let items = validate::count_items(&bytes, request_schema(signal))?;
        Ok(Payload { signal, bytes, items })
    }

    /// An empty request of a signal.
    pub fn empty(signal: Signal) -> Payload {
        Payload {
            signal,
            bytes: Bytes::new(),
            items: 0,
        }
    }

    pub fn signal(&self) -> Signal {
        self.signal
    }

    /// The encoded `Export*ServiceRequest`.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    pub fn into_bytes(self) -> Bytes {
        self.bytes
    }

    /// Spans, metric data points or log records, the unit the collector counts in.
    pub fn item_count(&self) -> usize {
        self.items
    }

    /// True when the request has no resource at all.
    pub fn has_no_resources(&self) -> bool {
        self.resources().next().is_none()
    }

    pub fn resources(&self) -> impl Iterator<Item = ResourceView<'_>> + Clone {
        view::resources(&self.bytes, self.signal)
    }

    /// Every span, metric or log record, across resources and scopes.
    pub fn items(&self) -> impl Iterator<Item = ItemView<'_>> + Clone {
        self.resources().flat_map(|r| r.scopes()).flat_map(|s| s.items())
    }

    /// Keeps the items `keep` says yes to (each asked once); `None` when nothing
    /// is left. Empty scopes and resources are removed.
    pub fn retain(self, keep: impl FnMut(&ItemView<'_>) -> bool) -> Option<Payload> {
        match edit::retain_items(&self.bytes, self.signal, keep) {
            Retained::Unchanged => Some(self),
            Retained::Empty => None,
            Retained::Edited(bytes, items) => Some(Payload {
                signal: self.signal,
                bytes: Bytes::from(bytes),
                items,
            }),
        }
    }

    /// Decodes into owned types: the slow path, counted.
    pub fn decode(&self) -> Result<Request, prost::DecodeError> {
        FULL_DECODES.fetch_add(1, Ordering::Relaxed);
        Ok(match self.signal {
            Signal::Traces => Request::Traces(ExportTraceServiceRequest::decode(self.bytes.clone())?),
            Signal::Metrics => Request::Metrics(ExportMetricsServiceRequest::decode(self.bytes.clone())?),
            Signal::Logs => Request::Logs(ExportLogsServiceRequest::decode(self.bytes.clone())?),
        })
    }
}

impl From<Request> for Payload {
    fn from(r: Request) -> Payload {
        let signal = r.signal();
        let bytes = Bytes::from(match &r {
            Request::Traces(r) => r.encode_to_vec(),
            Request::Metrics(r) => r.encode_to_vec(),
            Request::Logs(r) => r.encode_to_vec(),
        });
        // What prost encodes is valid by construction, except strings built
        // from invalid UTF-8, which Rust's String cannot hold; count on the way.
        let items = validate::validate(&bytes, request_schema(signal)).unwrap_or_else(|_| {
            let p = Payload {
                signal,
                bytes: bytes.clone(),
                items: 0,
            };
            p.items().map(|i| i.item_count()).sum()
        });
        Payload { signal, bytes, items }
    }
}

impl From<ExportTraceServiceRequest> for Payload {
    fn from(r: ExportTraceServiceRequest) -> Payload {
        Request::Traces(r).into()
    }
}

impl From<ExportMetricsServiceRequest> for Payload {
    fn from(r: ExportMetricsServiceRequest) -> Payload {
        Request::Metrics(r).into()
    }
}

impl From<ExportLogsServiceRequest> for Payload {
    fn from(r: ExportLogsServiceRequest) -> Payload {
        Request::Logs(r).into()
    }
}

#[cfg(test)]
mod tests;
