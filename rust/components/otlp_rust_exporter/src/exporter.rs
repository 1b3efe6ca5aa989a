//! The export path: one attempt per loop turn, bounded by `timeout` and the
//! request's own deadline; retry decisions follow the Go otlpexporter.

use std::sync::OnceLock;
use std::time::Duration;

use bytes::Bytes;
use http::uri::PathAndQuery;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceResponse;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceResponse;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use otelcol_core::spans::{self, ActiveSpan, SpanKind, SpanNames};
use otelcol_core::{
    ComponentId, Exporter, Payload, ProcessingError, RequestContext, Signal, TraceContext, async_trait,
};
use tonic::codec::CompressionEncoding;
use tonic::metadata::{AsciiMetadataValue, MetadataMap};
use tonic::transport::Channel;
use tonic::{Request, Status};

use crate::codec::PreEncoded;
use crate::config::{Compression, OtlpRustConfig};

const MAX_RESPONSE_SIZE: usize = 64 << 20;

pub struct OtlpRustExporter {
    id: ComponentId,
    /// For span attributes, without a String per span.
    id_attr: std::sync::Arc<str>,
    /// `exporter/<id>/<signal>`, built once.
    span_names: SpanNames,
    cfg: OtlpRustConfig,
    // Built in start(): a lazy channel needs the runtime, validate has none running.
    channel: OnceLock<Channel>,
    /// The parent's secret, as a header value, when `bridge_secret` is set.
    secret: OnceLock<AsciiMetadataValue>,
}

impl OtlpRustExporter {
    pub fn new(id: ComponentId, cfg: OtlpRustConfig) -> Self {
        OtlpRustExporter {
            id_attr: std::sync::Arc::from(id.as_str()),
            span_names: SpanNames::new("exporter", id.as_str()),
            id,
            cfg,
            channel: OnceLock::new(),
            secret: OnceLock::new(),
        }
    }

    fn metadata(&self, ctx: &RequestContext, trace: Option<&TraceHeaders>) -> MetadataMap {
        let mut md = MetadataMap::new();
        for (k, v) in &self.cfg.request.headers {
            md.insert(k.clone(), v.clone());
        }
        for (k, v) in self.cfg.request.forwarded(&ctx.metadata) {
            if let Ok(v) = v.parse() {
                md.append(k, v);
            }
        }
        if let Some(t) = trace
            && !md.contains_key("traceparent")
        {
            md.insert("traceparent", t.traceparent.clone());
            if let Some(v) = &t.tracestate {
                md.insert("tracestate", v.clone());
            }
        }
        // Last, replacing any value a client or a static header put there.
        if let Some(secret) = self.secret.get() {
            md.insert(otelcol_core::auth::SECRET_HEADER, secret.clone());
        }
        md
    }

    async fn attempt(
        &self,
        ch: Channel,
        ctx: &RequestContext,
        trace: Option<&TraceHeaders>,
        body: &Encoded,
        timeout: Duration,
    ) -> Result<(), Status> {
        // Accept gzip responses always: grpc-go servers answer in the
        // request's encoding, so a gzip request gets a gzip response.
        let mut grpc = tonic::client::Grpc::new(ch)
            .max_decoding_message_size(MAX_RESPONSE_SIZE)
            .accept_compressed(CompressionEncoding::Gzip);
        if self.cfg.compression == Compression::Gzip {
            grpc = grpc.send_compressed(CompressionEncoding::Gzip);
        }
        // Not ready = not connected: retryable like any connectivity problem.
        grpc.ready()
            .await
            .map_err(|e| Status::unavailable(format!("{}: not ready: {e}", self.id)))?;
        let mut req = Request::from_parts(self.metadata(ctx, trace), Default::default(), body.bytes.clone());
        // Tells the backend how long we wait (grpc-timeout), like grpc-go does.
        req.set_timeout(timeout);
        let path = PathAndQuery::from_static(body.signal.path);
        let (rejected, message) = match body.signal.signal {
            Signal::Traces => {
                let r = grpc
                    .unary(req, path, PreEncoded::<ExportTraceServiceResponse>::default())
                    .await?
                    .into_inner();
                r.partial_success
                    .map(|p| (p.rejected_spans, p.error_message))
                    .unwrap_or_default()
            }
            Signal::Metrics => {
                let r = grpc
                    .unary(req, path, PreEncoded::<ExportMetricsServiceResponse>::default())
                    .await?
                    .into_inner();
                r.partial_success
                    .map(|p| (p.rejected_data_points, p.error_message))
                    .unwrap_or_default()
            }
            Signal::Logs => {
                let r = grpc
                    .unary(req, path, PreEncoded::<ExportLogsServiceResponse>::default())
                    .await?
                    .into_inner();
                r.partial_success
                    .map(|p| (p.rejected_log_records, p.error_message))
                    .unwrap_or_default()
            }
        };
        if rejected > 0 || !message.is_empty() {
            tracing::warn!(exporter = %self.id, rejected, %message, "backend partially rejected the data");
        }
        Ok(())
    }
}

/// `traceparent`/`tracestate` for the backend, formatted once per export.
struct TraceHeaders {
    traceparent: AsciiMetadataValue,
    tracestate: Option<AsciiMetadataValue>,
}

impl TraceHeaders {
    fn new(t: &TraceContext) -> Option<TraceHeaders> {
        Some(TraceHeaders {
            traceparent: t.traceparent().parse().ok()?,
            tracestate: match t.trace_state.as_str() {
                "" => None,
                s => s.parse().ok(),
            },
        })
    }
}

struct SignalPath {
    signal: Signal,
    path: &'static str,
}

const TRACES: SignalPath = SignalPath {
    signal: Signal::Traces,
    path: "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
};
const METRICS: SignalPath = SignalPath {
    signal: Signal::Metrics,
    path: "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
};
const LOGS: SignalPath = SignalPath {
    signal: Signal::Logs,
    path: "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
};

/// A request body encoded once, resent as is on every attempt.
struct Encoded {
    signal: &'static SignalPath,
    bytes: Bytes,
}

impl Encoded {
    /// The payload is already an encoded request: it goes out as it came in.
    fn new(data: Payload) -> Encoded {
        let signal = match data.signal() {
            Signal::Traces => &TRACES,
            Signal::Metrics => &METRICS,
            Signal::Logs => &LOGS,
        };
        Encoded {
            signal,
            bytes: data.into_bytes(),
        }
    }
}

#[async_trait]
impl Exporter for OtlpRustExporter {
    async fn start(&self) -> Result<(), String> {
        if self.cfg.bridge_secret {
            let secret = otelcol_core::auth::required_parent_secret(&self.id.to_string())?;
            let value = secret
                .as_str()
                .parse()
                .map_err(|e| format!("{}: bridge secret: {e}", self.id))?;
            let _ = self.secret.set(value);
        }
        let ch = self.cfg.target.connect_lazy()?;
        let _ = self.channel.set(ch);
        Ok(())
    }

    async fn export(&self, ctx: &RequestContext, data: Payload) -> Result<(), ProcessingError> {
        let signal = data.signal();
        let Some(mut span) = ActiveSpan::start(ctx.trace.as_ref(), SpanKind::Client, self.span_names.get(signal))
        else {
            // Not traced by us: the request's own context goes to the backend.
            let trace = ctx.trace.as_ref().and_then(TraceHeaders::new);
            return self.send(ctx, trace.as_ref(), data, &mut 0).await;
        };
        span.set_component(self.id_attr.clone(), signal, data.item_count());
        // The backend's request is a child of this CLIENT span.
        let trace = TraceHeaders::new(&span.context());
        let mut attempts = 0u32;
        let r = self.send(ctx, trace.as_ref(), data, &mut attempts).await;
        span.set_attribute(spans::ATTR_ATTEMPTS, attempts);
        span.end_with(&r);
        r
    }
}

impl OtlpRustExporter {
    /// Every attempt of one export; `attempts` counts them.
    async fn send(
        &self,
        ctx: &RequestContext,
        trace: Option<&TraceHeaders>,
        data: Payload,
        attempts: &mut u32,
    ) -> Result<(), ProcessingError> {
        let ch = self
            .channel
            .get()
            .ok_or_else(|| ProcessingError::retryable(format!("{}: not started", self.id)))?;
        let body = &Encoded::new(data);
        self.cfg
            .request
            .retry(&self.id, ctx, attempts, |timeout| async move {
                let sent = tokio::time::timeout(timeout, self.attempt(ch.clone(), ctx, trace, body, timeout)).await;
                sent.unwrap_or_else(|_| Err(Status::deadline_exceeded(format!("no answer within {timeout:?}"))))
                    .map_err(|status| ProcessingError::from_status(&status))
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;

    #[tokio::test]
    async fn unreachable_backend_is_retryable_unavailable() {
        let dir = tempfile::tempdir().unwrap();
        let yaml = format!(
            "endpoint: unix://{}/nobody.sock\nretry_on_failure: {{enabled: false}}",
            dir.path().display()
        );
        let cfg = crate::config::parse(serde_yaml::from_str(&yaml).unwrap()).unwrap();
        let e = OtlpRustExporter::new(ComponentId::parse("otlp_rust").unwrap(), cfg);
        e.start().await.unwrap();
        let err = e
            .export(
                &RequestContext::background(),
                Payload::from(ExportMetricsServiceRequest::default()),
            )
            .await
            .unwrap_err();
        assert!(!err.is_permanent(), "{err}");
        assert_eq!(err.grpc_code(), tonic::Code::Unavailable, "{err}");
    }

    #[tokio::test]
    async fn a_cancelled_request_stops_retrying_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let yaml = format!(
            "endpoint: unix://{}/nobody.sock\nretry_on_failure: {{initial_interval: 10s}}",
            dir.path().display()
        );
        let cfg = crate::config::parse(serde_yaml::from_str(&yaml).unwrap()).unwrap();
        let e = OtlpRustExporter::new(ComponentId::parse("otlp_rust").unwrap(), cfg);
        e.start().await.unwrap();
        let ctx = RequestContext::background();
        let token = ctx.cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            token.cancel();
        });
        let err = e
            .export(&ctx, Payload::from(ExportMetricsServiceRequest::default()))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), "cancelled", "{err}");
    }
}
