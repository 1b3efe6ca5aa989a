//! OTLP request bytes → OTAP: the otel-arrow project's own encoder builds the
//! Arrow record batches straight from the encoded request (no owned OTLP
//! structs), and one [`StreamEncoder`] per gRPC stream turns them into
//! `BatchArrowRecords` carrying that stream's Arrow IPC state.

use std::sync::Arc;

use arrow_ipc::CompressionType;
use otel_arrow_dfe_pdata::OtapArrowRecords;
use otel_arrow_dfe_pdata::arrow::array::{FixedSizeBinaryArray, RecordBatch};
use otel_arrow_dfe_pdata::arrow::datatypes::{DataType, Field, FieldRef, Schema};
use otel_arrow_dfe_pdata::arrow::error::ArrowError;
use otel_arrow_dfe_pdata::encode::producer::{Producer, ProducerOptions};
use otel_arrow_dfe_pdata::encode::{encode_logs_otap_batch, encode_metrics_otap_batch, encode_spans_otap_batch};
use otel_arrow_dfe_pdata::proto::opentelemetry::arrow::v1::{ArrowPayloadType, BatchArrowRecords};
use otel_arrow_dfe_pdata::views::otlp::bytes::logs::RawLogsData;
use otel_arrow_dfe_pdata::views::otlp::bytes::metrics::RawMetricsData;
use otel_arrow_dfe_pdata::views::otlp::bytes::traces::RawTraceData;
use otelcol_core::Signal;

use crate::config::PayloadCompression;

/// Arrow records for one encoded `Export{Trace,Metrics,Logs}ServiceRequest`,
/// already in transport-optimised form (sorted, delta-encoded ids), so a
/// stream only serialises them. `None` when the request holds no data.
pub fn otap_records(signal: Signal, otlp: &[u8]) -> Result<Option<OtapArrowRecords>, String> {
    // The encoder does unchecked arithmetic on field values (a span ending
    // before it starts overflows); a panic there becomes this batch's error.
    let encoded = std::panic::catch_unwind(|| match signal {
        Signal::Traces => encode_spans_otap_batch(&RawTraceData::new(otlp)),
        Signal::Metrics => encode_metrics_otap_batch(&RawMetricsData::new(otlp)),
        Signal::Logs => encode_logs_otap_batch(&RawLogsData::new(otlp)),
    })
    .map_err(|_| format!("the OTAP encoder failed on this {signal} request"))?;
    let mut records = encoded.map_err(|e| format!("cannot encode {signal} as OTAP: {e}"))?;
    if records
        .get(records.root_payload_type())
        .is_none_or(|rb| rb.num_rows() == 0)
    {
        return Ok(None);
    }
    fill_exemplar_ids(&mut records).map_err(|e| format!("cannot complete {signal} exemplars: {e}"))?;
    drop_metric_metadata(&mut records);
    // Idempotent, and done here so the stream task (shared by every caller)
    // only serialises.
    records
        .encode_transport_optimized()
        .map_err(|e| format!("cannot transport-optimise {signal} OTAP records: {e}"))?;
    Ok(Some(records))
}

/// `Metric.metadata` (which the prometheus receiver sets on every metric)
/// becomes a METRIC_ATTRS payload, which the otel-arrow Go decoder up to v0.46
/// rejects as an unknown payload type, failing the whole batch. The metrics
/// themselves decode without it, so it is left out, and said once.
fn drop_metric_metadata(records: &mut OtapArrowRecords) {
    static SAID: std::sync::Once = std::sync::Once::new();
    if records.remove(ArrowPayloadType::MetricAttrs).is_some() {
        SAID.call_once(|| {
            tracing::warn!(
                "metric metadata is not sent over OTAP: otel-arrow receivers up to Go v0.46 refuse its payload type"
            );
        });
    }
}

/// The encoder leaves out an exemplar record's `span_id`/`trace_id` column
/// when no exemplar in the batch has one; the Go decoder (and so every Go
/// receiver) rejects such a batch ("invalid span id length"). The Go encoder
/// always writes the columns, all zeros for "no id", which decode back to an
/// empty id; this writes them the same way.
fn fill_exemplar_ids(records: &mut OtapArrowRecords) -> Result<(), ArrowError> {
    for payload_type in [
        ArrowPayloadType::NumberDpExemplars,
        ArrowPayloadType::HistogramDpExemplars,
        ArrowPayloadType::ExpHistogramDpExemplars,
    ] {
        let Some(rb) = records.get(payload_type) else {
            continue;
        };
        let schema = rb.schema();
        let mut fields: Vec<FieldRef> = schema.fields().iter().cloned().collect();
        let mut columns = rb.columns().to_vec();
        for (name, width) in [("span_id", 8usize), ("trace_id", 16)] {
            if schema.column_with_name(name).is_some() {
                continue;
            }
            let zeros = vec![0u8; width];
            let ids = FixedSizeBinaryArray::try_from_iter(std::iter::repeat_n(zeros.as_slice(), rb.num_rows()))?;
            fields.push(Arc::new(Field::new(
                name,
                DataType::FixedSizeBinary(width as i32),
                true,
            )));
            columns.push(Arc::new(ids));
        }
        if columns.len() != rb.num_columns() {
            let schema = Schema::new_with_metadata(fields, schema.metadata().clone());
            let filled = RecordBatch::try_new(Arc::new(schema), columns)?;
            records
                .set(payload_type, filled)
                .map_err(|e| ArrowError::ComputeError(e.to_string()))?;
        }
    }
    Ok(())
}

/// The Arrow IPC state of one gRPC stream: schemas sent, dictionaries and
/// their deltas, batch ids. A new stream starts a new encoder, which is what
/// the receiver expects of a new stream.
pub struct StreamEncoder {
    producer: Producer,
}

impl StreamEncoder {
    pub fn new(payload_compression: PayloadCompression) -> StreamEncoder {
        let ipc_compression = match payload_compression {
            PayloadCompression::None => None,
            PayloadCompression::Zstd => Some(CompressionType::ZSTD),
        };
        StreamEncoder {
            producer: Producer::new_with_options(ProducerOptions { ipc_compression }),
        }
    }

    /// The next batch on this stream. `headers` is the HPACK block of
    /// per-batch metadata (see [`crate::headers`]).
    pub fn batch(&mut self, records: &OtapArrowRecords, headers: Vec<u8>) -> Result<BatchArrowRecords, String> {
        let mut records = records.clone();
        let mut bar = self
            .producer
            .produce_bar(&mut records)
            .map_err(|e| format!("cannot serialise OTAP records: {e}"))?;
        main_record_first(&mut bar, records.root_payload_type() as i32);
        bar.headers = headers;
        Ok(bar)
    }
}

/// Receivers before contrib v0.149 take the batch's signal from
/// `arrow_payloads[0]`, so the main record (spans, logs, metrics) goes first;
/// the others keep their order.
fn main_record_first(bar: &mut BatchArrowRecords, root: i32) {
    if let Some(i) = bar.arrow_payloads.iter().position(|p| p.r#type == root) {
        bar.arrow_payloads[..=i].rotate_right(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
    use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
    use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
    use opentelemetry_proto::tonic::metrics::v1::{
        Gauge, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, metric, number_data_point,
    };
    use opentelemetry_proto::tonic::resource::v1::Resource;
    use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
    use otel_arrow_dfe_pdata::Consumer;
    use prost::Message;

    fn kv(k: &str, v: &str) -> KeyValue {
        KeyValue {
            key: k.into(),
            value: Some(AnyValue {
                value: Some(any_value::Value::StringValue(v.into())),
            }),
            ..Default::default()
        }
    }

    fn resource() -> Option<Resource> {
        Some(Resource {
            attributes: vec![kv("service.name", "checkout")],
            ..Default::default()
        })
    }

    fn scope() -> Option<InstrumentationScope> {
        Some(InstrumentationScope {
            name: "lib".into(),
            version: "1".into(),
            attributes: vec![kv("scope.k", "v")],
            ..Default::default()
        })
    }

    fn traces() -> Vec<u8> {
        let spans = (0..20u8)
            .map(|i| Span {
                trace_id: vec![i; 16],
                span_id: vec![i + 1; 8],
                name: format!("op-{}", i % 3),
                start_time_unix_nano: 1_700_000_000_000_000_000 + u64::from(i),
                end_time_unix_nano: 1_700_000_000_000_100_000 + u64::from(i),
                attributes: vec![kv("route", "/a"), kv("method", "GET")],
                ..Default::default()
            })
            .collect();
        ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource: resource(),
                scope_spans: vec![ScopeSpans {
                    scope: scope(),
                    spans,
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
        .encode_to_vec()
    }

    fn metrics() -> Vec<u8> {
        let metrics = (0..10u64)
            .map(|i| Metric {
                name: format!("m{}", i % 4),
                data: Some(metric::Data::Gauge(Gauge {
                    data_points: vec![NumberDataPoint {
                        time_unix_nano: 1_700_000_000_000_000_000 + i,
                        attributes: vec![kv("host", "h1")],
                        value: Some(number_data_point::Value::AsInt(i as i64)),
                        ..Default::default()
                    }],
                })),
                ..Default::default()
            })
            .collect();
        ExportMetricsServiceRequest {
            resource_metrics: vec![ResourceMetrics {
                resource: resource(),
                scope_metrics: vec![ScopeMetrics {
                    scope: scope(),
                    metrics,
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
        .encode_to_vec()
    }

    fn logs() -> Vec<u8> {
        let log_records = (0..30u64)
            .map(|i| LogRecord {
                time_unix_nano: 1_700_000_000_000_000_000 + i,
                severity_text: "INFO".into(),
                body: Some(AnyValue {
                    value: Some(any_value::Value::StringValue(format!("user {} logged in", i % 5))),
                }),
                attributes: vec![kv("tenant", "t1")],
                ..Default::default()
            })
            .collect();
        ExportLogsServiceRequest {
            resource_logs: vec![ResourceLogs {
                resource: resource(),
                scope_logs: vec![ScopeLogs {
                    scope: scope(),
                    log_records,
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
        .encode_to_vec()
    }

    fn roots() -> [(Signal, Vec<u8>, ArrowPayloadType); 3] {
        [
            (Signal::Traces, traces(), ArrowPayloadType::Spans),
            (Signal::Metrics, metrics(), ArrowPayloadType::UnivariateMetrics),
            (Signal::Logs, logs(), ArrowPayloadType::Logs),
        ]
    }

    #[test]
    fn the_main_record_comes_first() {
        for (signal, otlp, root) in roots() {
            let records = otap_records(signal, &otlp).unwrap().unwrap();
            let bar = StreamEncoder::new(PayloadCompression::None)
                .batch(&records, vec![])
                .unwrap();
            assert_eq!(bar.arrow_payloads[0].r#type, root as i32, "{signal}");
            assert!(
                bar.arrow_payloads.len() > 1,
                "{signal}: attributes ride in their own records"
            );
        }
    }

    #[test]
    fn metric_metadata_is_left_out_and_the_metrics_stay() {
        let mut req = ExportMetricsServiceRequest::decode(metrics().as_slice()).unwrap();
        for m in &mut req.resource_metrics[0].scope_metrics[0].metrics {
            m.metadata = vec![kv("prometheus.type", "gauge")];
        }
        let records = otap_records(Signal::Metrics, &req.encode_to_vec()).unwrap().unwrap();
        assert!(records.get(ArrowPayloadType::MetricAttrs).is_none());
        let root = records.get(records.root_payload_type()).unwrap();
        assert_eq!(root.num_rows(), 10);
    }

    #[test]
    fn empty_requests_encode_to_nothing() {
        assert!(
            otap_records(Signal::Traces, &ExportTraceServiceRequest::default().encode_to_vec())
                .unwrap()
                .is_none()
        );
        assert!(
            otap_records(Signal::Metrics, &ExportMetricsServiceRequest::default().encode_to_vec())
                .unwrap()
                .is_none()
        );
        assert!(
            otap_records(Signal::Logs, &ExportLogsServiceRequest::default().encode_to_vec())
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn later_batches_on_a_stream_skip_the_schema_and_a_new_stream_resends_it() {
        let (signal, otlp, _) = roots().into_iter().nth(2).unwrap();
        let records = otap_records(signal, &otlp).unwrap().unwrap();
        let mut enc = StreamEncoder::new(PayloadCompression::Zstd);
        let size = |b: &BatchArrowRecords| b.arrow_payloads.iter().map(|p| p.record.len()).sum::<usize>();
        let first = enc.batch(&records, vec![]).unwrap();
        let second = enc.batch(&records, vec![]).unwrap();
        assert_eq!((first.batch_id, second.batch_id), (0, 1));
        assert!(size(&second) < size(&first), "{} !< {}", size(&second), size(&first));

        // Both decode on one consumer, in order, as a receiver's stream would.
        let mut consumer = Consumer::default();
        for mut bar in [first.clone(), second] {
            assert!(!consumer.consume_bar(&mut bar).unwrap().is_empty());
        }
        let again = StreamEncoder::new(PayloadCompression::Zstd)
            .batch(&records, vec![])
            .unwrap();
        assert_eq!(again.batch_id, 0);
        assert_eq!(size(&again), size(&first));
    }

    #[test]
    fn malformed_input_is_not_a_panic() {
        // Spans that end before they start overflow the encoder's duration
        // arithmetic (a panic in debug builds).
        let backwards = ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                scope_spans: vec![ScopeSpans {
                    spans: vec![Span {
                        start_time_unix_nano: u64::MAX,
                        end_time_unix_nano: 1,
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        };
        let _ = otap_records(Signal::Traces, &backwards.encode_to_vec());
        let _ = otap_records(Signal::Logs, &[0xff, 0xff, 0xff]);
    }
}
