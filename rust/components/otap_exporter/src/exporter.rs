//! The export path: encode once to OTAP, hand the batch to the least loaded
//! stream of its signal, wait for its BatchStatus; retry decisions as on
//! otlp_rust (retry_on_failure, the request's own deadline, RetryInfo).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use crate::zstd_level::Transport;
use otel_arrow_dfe_pdata::OtapArrowRecords;
use otelcol_core::spans::{self, ActiveSpan, SpanKind, SpanNames};
use otelcol_core::{
    ComponentId, Exporter, Payload, ProcessingError, RequestContext, Signal, TraceContext, async_trait,
};
use tonic::codec::CompressionEncoding;
use tonic::metadata::MetadataMap;

use crate::config::{Compression, OtapConfig};
use crate::encode::otap_records;
use crate::headers;
use crate::otlp;
use crate::stream::{Outcome, Slot, StreamSettings};

pub struct OtapExporter {
    id: ComponentId,
    id_attr: Arc<str>,
    span_names: SpanNames,
    cfg: OtapConfig,
    // Built in start(): channels and stream tasks need the runtime.
    started: OnceLock<Started>,
    /// Per signal: the server has no Arrow service, plain OTLP from now on.
    downgraded: [AtomicBool; 3],
    fallback_logged: AtomicBool,
    sent_items: AtomicU64,
    failed_items: AtomicU64,
}

struct Started {
    channel: Transport,
    /// Per signal, `arrow.num_streams` slots.
    slots: [Vec<Slot>; 3],
}

fn index(signal: Signal) -> usize {
    match signal {
        Signal::Traces => 0,
        Signal::Metrics => 1,
        Signal::Logs => 2,
    }
}

/// The request's trace context for the server, formatted once per export.
struct Trace {
    traceparent: String,
    tracestate: String,
}

impl Trace {
    fn new(t: &TraceContext) -> Trace {
        Trace {
            traceparent: t.traceparent(),
            tracestate: t.trace_state.clone(),
        }
    }
}

/// How one attempt went.
enum Attempt {
    Done(Result<(), ProcessingError>),
    Fallback,
}

impl OtapExporter {
    pub fn new(id: ComponentId, cfg: OtapConfig) -> Self {
        OtapExporter {
            id_attr: Arc::from(id.as_str()),
            span_names: SpanNames::new("exporter", id.as_str()),
            id,
            cfg,
            started: OnceLock::new(),
            downgraded: Default::default(),
            fallback_logged: AtomicBool::new(false),
            sent_items: AtomicU64::new(0),
            failed_items: AtomicU64::new(0),
        }
    }

    fn compression(&self) -> Option<CompressionEncoding> {
        match self.cfg.compression {
            Compression::None => None,
            Compression::Gzip => Some(CompressionEncoding::Gzip),
            // The channel compresses, at arrow.zstd's level (zstd_level.rs).
            Compression::Zstd => None,
        }
    }

    /// Per-batch metadata as the Arrow protocol carries it.
    fn batch_headers(&self, ctx: &RequestContext, trace: Option<&Trace>) -> Vec<u8> {
        let mut block = Vec::new();
        let forwarded = self.cfg.request.forwarded(&ctx.metadata);
        for (k, v) in &forwarded {
            headers::append(&mut block, k.as_str(), v);
        }
        if let Some(t) = trace
            && !forwarded.iter().any(|(k, _)| k.as_str() == "traceparent")
        {
            headers::append(&mut block, "traceparent", &t.traceparent);
            if !t.tracestate.is_empty() {
                headers::append(&mut block, "tracestate", &t.tracestate);
            }
        }
        block
    }

    /// gRPC metadata of a plain OTLP request (the fallback).
    fn otlp_metadata(&self, ctx: &RequestContext, trace: Option<&Trace>) -> MetadataMap {
        let mut md = MetadataMap::new();
        for (k, v) in &self.cfg.request.headers {
            md.insert(k.clone(), v.clone());
        }
        for (k, v) in self.cfg.request.forwarded(&ctx.metadata) {
            if let Ok(v) = v.parse::<tonic::metadata::AsciiMetadataValue>() {
                md.append(k, v);
            }
        }
        if let Some(t) = trace
            && !md.contains_key("traceparent")
        {
            if let Ok(v) = t.traceparent.parse() {
                md.insert("traceparent", v);
            }
            if let Ok(v) = t.tracestate.parse()
                && !t.tracestate.is_empty()
            {
                md.insert("tracestate", v);
            }
        }
        md
    }

    fn least_loaded<'a>(&self, started: &'a Started, signal: Signal) -> &'a Slot {
        let slots = &started.slots[index(signal)];
        slots.iter().min_by_key(|s| s.load()).unwrap_or(&slots[0])
    }

    async fn attempt_arrow(
        &self,
        started: &Started,
        signal: Signal,
        records: &Option<OtapArrowRecords>,
        headers: &[u8],
    ) -> Attempt {
        let Some(records) = records else {
            return Attempt::Done(Ok(())); // nothing to send
        };
        match self
            .least_loaded(started, signal)
            .send(records.clone(), headers.to_vec())
            .await
        {
            Outcome::Ok => Attempt::Done(Ok(())),
            Outcome::Failed(e) => Attempt::Done(Err(e)),
            Outcome::Unimplemented(msg) if !self.cfg.arrow.disable_downgrade => {
                self.downgraded[index(signal)].store(true, Ordering::Relaxed);
                if !self.fallback_logged.swap(true, Ordering::Relaxed) {
                    tracing::warn!(exporter = %self.id, %signal, server_says = %msg, "the server does not implement the OTel Arrow services; falling back to plain OTLP");
                }
                Attempt::Fallback
            }
            Outcome::Unimplemented(msg) => Attempt::Done(Err(ProcessingError::Permanent {
                message: format!(
                    "the server does not implement the OTel Arrow services (arrow.disable_downgrade is set): {msg}"
                ),
                code: Some(tonic::Code::Unimplemented),
            })),
        }
    }

    /// Every attempt of one export; `attempts` counts them.
    async fn send(
        &self,
        ctx: &RequestContext,
        trace: Option<&Trace>,
        data: &Payload,
        attempts: &mut u32,
    ) -> Result<(), ProcessingError> {
        let started = self
            .started
            .get()
            .ok_or_else(|| ProcessingError::retryable(format!("{}: not started", self.id)))?;
        let signal = data.signal();
        let arrow = !self.cfg.arrow.disabled && !self.downgraded[index(signal)].load(Ordering::Relaxed);
        let (records, batch_headers) = if arrow {
            let records = otap_records(signal, data.bytes()).map_err(ProcessingError::permanent)?;
            (records, self.batch_headers(ctx, trace))
        } else {
            (None, Vec::new())
        };
        // Once this export falls back to OTLP, its later attempts stay there
        // (an atomic only so that each attempt's future can borrow it and stay Send).
        let arrow = &AtomicBool::new(arrow);
        let (records, batch_headers) = (&records, &batch_headers);
        self.cfg
            .request
            .retry(&self.id, ctx, attempts, |timeout| async move {
                let once = async {
                    if arrow.load(Ordering::Relaxed) {
                        match self.attempt_arrow(started, signal, records, batch_headers).await {
                            Attempt::Done(r) => return r,
                            Attempt::Fallback => arrow.store(false, Ordering::Relaxed),
                        }
                    }
                    let md = self.otlp_metadata(ctx, trace);
                    otlp::export(
                        started.channel.clone(),
                        signal,
                        md,
                        data.bytes().clone(),
                        self.cfg.compression,
                        timeout,
                    )
                    .await
                    .map_err(|s| ProcessingError::from_status(&s))
                };
                tokio::time::timeout(timeout, once).await.unwrap_or_else(|_| {
                    Err(ProcessingError::Retryable {
                        message: format!("no answer within {timeout:?}"),
                        code: Some(tonic::Code::DeadlineExceeded),
                    })
                })
            })
            .await
    }

    /// Counts the outcome; a failure's log line carries the running totals.
    fn account(&self, signal: Signal, items: usize, r: &Result<(), ProcessingError>) {
        match r {
            Ok(()) => {
                self.sent_items.fetch_add(items as u64, Ordering::Relaxed);
            }
            Err(e) => {
                let failed = self.failed_items.fetch_add(items as u64, Ordering::Relaxed) + items as u64;
                tracing::warn!(
                    exporter = %self.id,
                    %signal,
                    items,
                    failed_items = failed,
                    sent_items = self.sent_items.load(Ordering::Relaxed),
                    kind = e.kind(),
                    error = %e,
                    "items dropped"
                );
            }
        }
    }

    /// Items delivered and items given up on since start.
    pub fn totals(&self) -> (u64, u64) {
        (
            self.sent_items.load(Ordering::Relaxed),
            self.failed_items.load(Ordering::Relaxed),
        )
    }
}

#[async_trait]
impl Exporter for OtapExporter {
    async fn start(&self) -> Result<(), String> {
        let zstd = (self.cfg.compression == Compression::Zstd).then_some(self.cfg.arrow.zstd);
        let channel = Transport::new(self.cfg.destination.connect_lazy()?, zstd);
        let mut metadata = MetadataMap::new();
        for (k, v) in &self.cfg.request.headers {
            metadata.insert(k.clone(), v.clone());
        }
        let slots = [Signal::Traces, Signal::Metrics, Signal::Logs].map(|signal| {
            let settings = Arc::new(StreamSettings {
                exporter: self.id_attr.clone(),
                signal,
                channel: channel.clone(),
                metadata: metadata.clone(),
                compression: self.compression(),
                payload_compression: self.cfg.arrow.payload_compression,
                max_lifetime: self.cfg.arrow.max_stream_lifetime,
                drain_timeout: self.cfg.request.timeout,
            });
            (0..self.cfg.arrow.num_streams)
                .map(|_| Slot::spawn(settings.clone()))
                .collect()
        });
        let _ = self.started.set(Started { channel, slots });
        Ok(())
    }

    async fn export(&self, ctx: &RequestContext, data: Payload) -> Result<(), ProcessingError> {
        let signal = data.signal();
        let items = data.item_count();
        let Some(mut span) = ActiveSpan::start(ctx.trace.as_ref(), SpanKind::Client, self.span_names.get(signal))
        else {
            // Not traced by us: the request's own context goes to the server.
            let trace = ctx.trace.as_ref().map(Trace::new);
            let r = self.send(ctx, trace.as_ref(), &data, &mut 0).await;
            self.account(signal, items, &r);
            return r;
        };
        span.set_component(self.id_attr.clone(), signal, items);
        let trace = Trace::new(&span.context());
        let mut attempts = 0u32;
        let r = self.send(ctx, Some(&trace), &data, &mut attempts).await;
        self.account(signal, items, &r);
        span.set_attribute(spans::ATTR_ATTEMPTS, attempts);
        span.end_with(&r);
        r
    }
}
