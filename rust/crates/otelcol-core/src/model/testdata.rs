//! Generated OTLP requests for tests and benchmarks: every metric type,
//! exemplars, every AnyValue kind (kvlist, array, bytes, nested), span links
//! with tracestate, dropped counts, schema URLs, empty names, non-ASCII text,
//! and empty scopes and resources now and then. Deterministic per seed.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{AnyValue, ArrayValue, InstrumentationScope, KeyValue, KeyValueList};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::metrics::v1::{
    Exemplar, ExponentialHistogram, ExponentialHistogramDataPoint, Gauge, Histogram, HistogramDataPoint, Metric,
    NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum, Summary, SummaryDataPoint, exemplar,
    exponential_histogram_data_point::Buckets, metric::Data, number_data_point, summary_data_point,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status, span};

/// xorshift64*: small, deterministic, good enough to vary test data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in 0..n (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }
}

const NAMES: &[&str] = &[
    "",
    "up",
    "http.server.duration",
    "scrape_samples",
    "очередь",
    "日本語",
    "requests_total",
    "a",
    "ab",
    "span-ü",
    "db.query",
    "x/y:z",
];

fn name(rng: &mut Rng) -> String {
    NAMES[rng.below(NAMES.len())].to_string()
}

fn any_value(rng: &mut Rng, depth: u32) -> AnyValue {
    let pick = if depth > 2 { rng.below(5) } else { rng.below(7) };
    let value = match pick {
        0 => Value::StringValue(name(rng)),
        1 => Value::BoolValue(rng.chance(50)),
        2 => Value::IntValue(rng.next_u64() as i64),
        3 => Value::DoubleValue((rng.next_u64() % 10_000) as f64 / 7.0),
        4 => {
            let n = rng.below(5);
            Value::BytesValue(rng.bytes(n))
        }
        5 => Value::ArrayValue(ArrayValue {
            values: (0..rng.below(3)).map(|_| any_value(rng, depth + 1)).collect(),
        }),
        _ => Value::KvlistValue(KeyValueList {
            values: attributes(rng, depth + 1),
        }),
    };
    AnyValue { value: Some(value) }
}

fn attributes(rng: &mut Rng, depth: u32) -> Vec<KeyValue> {
    (0..rng.below(4))
        .map(|_| KeyValue {
            key: name(rng),
            value: rng.chance(90).then(|| any_value(rng, depth)),
            key_strindex: 0,
        })
        .collect()
}

fn resource(rng: &mut Rng) -> Option<Resource> {
    rng.chance(85).then(|| Resource {
        attributes: attributes(rng, 0),
        dropped_attributes_count: rng.below(3) as u32,
        entity_refs: vec![],
    })
}

fn scope(rng: &mut Rng) -> Option<InstrumentationScope> {
    rng.chance(80).then(|| InstrumentationScope {
        name: name(rng),
        version: if rng.chance(50) { "1.2.3".into() } else { String::new() },
        attributes: attributes(rng, 0),
        dropped_attributes_count: rng.below(2) as u32,
    })
}

fn schema_url(rng: &mut Rng) -> String {
    if rng.chance(50) {
        "https://opentelemetry.io/schemas/1.26.0".into()
    } else {
        String::new()
    }
}

fn id(rng: &mut Rng, n: usize) -> Vec<u8> {
    if rng.chance(10) { vec![] } else { rng.bytes(n) }
}

/// Between 0 and 3 of something, with 0 rarer.
fn few(rng: &mut Rng) -> usize {
    if rng.chance(8) { 0 } else { 1 + rng.below(3) }
}

pub fn traces_request(rng: &mut Rng) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: (0..few(rng))
            .map(|_| ResourceSpans {
                resource: resource(rng),
                scope_spans: (0..few(rng))
                    .map(|_| ScopeSpans {
                        scope: scope(rng),
                        spans: (0..few(rng)).map(|_| span(rng)).collect(),
                        schema_url: schema_url(rng),
                    })
                    .collect(),
                schema_url: schema_url(rng),
            })
            .collect(),
    }
}

fn span(rng: &mut Rng) -> Span {
    Span {
        trace_id: id(rng, 16),
        span_id: id(rng, 8),
        trace_state: if rng.chance(30) {
            "vendor=a,other=b".into()
        } else {
            String::new()
        },
        parent_span_id: id(rng, 8),
        flags: rng.below(512) as u32,
        name: name(rng),
        kind: rng.below(6) as i32,
        start_time_unix_nano: rng.next_u64(),
        end_time_unix_nano: rng.next_u64(),
        attributes: attributes(rng, 0),
        dropped_attributes_count: rng.below(3) as u32,
        events: (0..rng.below(3))
            .map(|_| span::Event {
                time_unix_nano: rng.next_u64(),
                name: name(rng),
                attributes: attributes(rng, 0),
                dropped_attributes_count: rng.below(2) as u32,
            })
            .collect(),
        dropped_events_count: rng.below(2) as u32,
        links: (0..rng.below(3))
            .map(|_| span::Link {
                trace_id: rng.bytes(16),
                span_id: rng.bytes(8),
                trace_state: if rng.chance(50) { "k=v".into() } else { String::new() },
                attributes: attributes(rng, 0),
                dropped_attributes_count: rng.below(2) as u32,
                flags: rng.below(512) as u32,
            })
            .collect(),
        dropped_links_count: rng.below(2) as u32,
        status: rng.chance(60).then(|| Status {
            message: name(rng),
            code: rng.below(3) as i32,
        }),
    }
}

fn exemplars(rng: &mut Rng) -> Vec<Exemplar> {
    (0..rng.below(2))
        .map(|_| Exemplar {
            filtered_attributes: attributes(rng, 0),
            time_unix_nano: rng.next_u64(),
            span_id: id(rng, 8),
            trace_id: id(rng, 16),
            value: Some(if rng.chance(50) {
                exemplar::Value::AsDouble(1.5)
            } else {
                exemplar::Value::AsInt(-3)
            }),
        })
        .collect()
}

fn number_points(rng: &mut Rng) -> Vec<NumberDataPoint> {
    (0..few(rng))
        .map(|_| NumberDataPoint {
            attributes: attributes(rng, 0),
            start_time_unix_nano: rng.next_u64(),
            time_unix_nano: rng.next_u64(),
            exemplars: exemplars(rng),
            flags: rng.below(2) as u32,
            value: Some(if rng.chance(50) {
                number_data_point::Value::AsInt(rng.next_u64() as i64)
            } else {
                number_data_point::Value::AsDouble(0.25)
            }),
        })
        .collect()
}

fn metric(rng: &mut Rng) -> Metric {
    let data = match rng.below(6) {
        0 => None,
        1 => Some(Data::Gauge(Gauge {
            data_points: number_points(rng),
        })),
        2 => Some(Data::Sum(Sum {
            data_points: number_points(rng),
            aggregation_temporality: rng.below(3) as i32,
            is_monotonic: rng.chance(50),
        })),
        3 => Some(Data::Histogram(Histogram {
            data_points: (0..few(rng))
                .map(|_| HistogramDataPoint {
                    attributes: attributes(rng, 0),
                    start_time_unix_nano: rng.next_u64(),
                    time_unix_nano: rng.next_u64(),
                    count: 10,
                    sum: rng.chance(50).then_some(4.5),
                    bucket_counts: vec![1, 2, 7],
                    explicit_bounds: vec![0.5, 10.0],
                    exemplars: exemplars(rng),
                    flags: 0,
                    min: rng.chance(50).then_some(0.1),
                    max: rng.chance(50).then_some(99.0),
                })
                .collect(),
            aggregation_temporality: 2,
        })),
        4 => Some(Data::ExponentialHistogram(ExponentialHistogram {
            data_points: (0..few(rng))
                .map(|_| ExponentialHistogramDataPoint {
                    attributes: attributes(rng, 0),
                    start_time_unix_nano: rng.next_u64(),
                    time_unix_nano: rng.next_u64(),
                    count: 5,
                    sum: Some(2.0),
                    scale: rng.below(20) as i32 - 10,
                    zero_count: 1,
                    positive: Some(Buckets {
                        offset: -2,
                        bucket_counts: vec![1, 0, 3],
                    }),
                    negative: rng.chance(50).then(|| Buckets {
                        offset: 4,
                        bucket_counts: vec![1],
                    }),
                    flags: 0,
                    exemplars: exemplars(rng),
                    min: Some(-1.0),
                    max: None,
                    zero_threshold: 0.001,
                })
                .collect(),
            aggregation_temporality: 1,
        })),
        _ => Some(Data::Summary(Summary {
            data_points: (0..few(rng))
                .map(|_| SummaryDataPoint {
                    attributes: attributes(rng, 0),
                    start_time_unix_nano: rng.next_u64(),
                    time_unix_nano: rng.next_u64(),
                    count: 3,
                    sum: 9.0,
                    quantile_values: vec![
                        summary_data_point::ValueAtQuantile {
                            quantile: 0.5,
                            value: 1.0,
                        },
                        summary_data_point::ValueAtQuantile {
                            quantile: 0.99,
                            value: 8.0,
                        },
                    ],
                    flags: 0,
                })
                .collect(),
        })),
    };
    Metric {
        name: name(rng),
        description: if rng.chance(50) {
            "described".into()
        } else {
            String::new()
        },
        unit: if rng.chance(50) { "ms".into() } else { String::new() },
        metadata: if rng.chance(20) { attributes(rng, 0) } else { vec![] },
        data,
    }
}

/// A request carrying `metrics` under one resource and one scope, both empty:
/// for tests and benchmarks that build their own metrics.
pub fn in_one_scope(metrics: Vec<Metric>) -> ExportMetricsServiceRequest {
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            scope_metrics: vec![ScopeMetrics {
                metrics,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

pub fn metrics_request(rng: &mut Rng) -> ExportMetricsServiceRequest {
    ExportMetricsServiceRequest {
        resource_metrics: (0..few(rng))
            .map(|_| ResourceMetrics {
                resource: resource(rng),
                scope_metrics: (0..few(rng))
                    .map(|_| ScopeMetrics {
                        scope: scope(rng),
                        metrics: (0..few(rng)).map(|_| metric(rng)).collect(),
                        schema_url: schema_url(rng),
                    })
                    .collect(),
                schema_url: schema_url(rng),
            })
            .collect(),
    }
}

pub fn logs_request(rng: &mut Rng) -> ExportLogsServiceRequest {
    ExportLogsServiceRequest {
        resource_logs: (0..few(rng))
            .map(|_| ResourceLogs {
                resource: resource(rng),
                scope_logs: (0..few(rng))
                    .map(|_| ScopeLogs {
                        scope: scope(rng),
                        log_records: (0..few(rng))
                            .map(|_| LogRecord {
                                time_unix_nano: rng.next_u64(),
                                observed_time_unix_nano: rng.next_u64(),
                                severity_number: rng.below(25) as i32,
                                severity_text: if rng.chance(50) { "INFO".into() } else { String::new() },
                                body: rng.chance(90).then(|| any_value(rng, 0)),
                                attributes: attributes(rng, 0),
                                dropped_attributes_count: rng.below(2) as u32,
                                flags: rng.below(2) as u32,
                                trace_id: id(rng, 16),
                                span_id: id(rng, 8),
                                event_name: name(rng),
                            })
                            .collect(),
                        schema_url: schema_url(rng),
                    })
                    .collect(),
                schema_url: schema_url(rng),
            })
            .collect(),
    }
}
