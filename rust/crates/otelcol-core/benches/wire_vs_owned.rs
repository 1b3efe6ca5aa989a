//! CPU per data point of one filter hop, in process: the wire path (validate,
//! drop by copying kept ranges) against the owned path it replaced (prost
//! decode, retain, prost encode), on the same 10k-point request the
//! throughput bench sends. Prints one JSON line.

use std::time::Instant;

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::{Gauge, Metric, NumberDataPoint, metric, number_data_point};
use otelcol_core::Signal;
use otelcol_core::model::Payload;
use prost::Message;

fn request() -> ExportMetricsServiceRequest {
    let metrics = (0..1000)
        .map(|i| Metric {
            name: match i % 40 {
                0 => "up".into(),
                20 => format!("scrape_duration_seconds_{i}"),
                _ => format!("http_server_requests_total_{i}"),
            },
            unit: "1".into(),
            data: Some(metric::Data::Gauge(Gauge {
                data_points: (0..10)
                    .map(|p| NumberDataPoint {
                        attributes: vec![KeyValue {
                            key: "route".into(),
                            value: Some(AnyValue {
                                value: Some(any_value::Value::StringValue(format!("/api/v1/items/{}", i % 17))),
                            }),
                            ..Default::default()
                        }],
                        time_unix_nano: 1_700_000_000_000_000_000 + p,
                        value: Some(number_data_point::Value::AsDouble(p as f64)),
                        ..Default::default()
                    })
                    .collect(),
            })),
            ..Default::default()
        })
        .collect();
    otelcol_core::model::testdata::in_one_scope(metrics)
}

fn drop(name: &str) -> bool {
    name == "up" || name.starts_with("scrape_")
}

fn main() {
    let bytes = bytes::Bytes::from(request().encode_to_vec());
    let rounds = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300usize);
    let points = 10_000.0 * rounds as f64;

    // Validation alone: what every Rust receiver pays before any component runs.
    let t = Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(Payload::from_wire(Signal::Metrics, bytes.clone()).unwrap());
    }
    let validate = t.elapsed().as_secs_f64();

    // Counting alone: what a bridge receiver pays for a request Go decoded.
    let t = Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(Payload::from_validated_sender(Signal::Metrics, bytes.clone()).unwrap());
    }
    let count = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let mut kept_wire = 0;
    for _ in 0..rounds {
        let p = Payload::from_wire(Signal::Metrics, bytes.clone()).unwrap();
        let p = p.retain(|i| !drop(i.name())).unwrap();
        kept_wire += p.item_count();
        std::hint::black_box(p.bytes());
    }
    let wire = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let mut kept_owned = 0;
    for _ in 0..rounds {
        let mut r = ExportMetricsServiceRequest::decode(bytes.clone()).unwrap();
        r.resource_metrics.retain_mut(|rm| {
            rm.scope_metrics.retain_mut(|sm| {
                sm.metrics.retain(|m| !drop(&m.name));
                !sm.metrics.is_empty()
            });
            !rm.scope_metrics.is_empty()
        });
        kept_owned += r.resource_metrics[0].scope_metrics[0].metrics.len() * 10;
        std::hint::black_box(r.encode_to_vec());
    }
    let owned = t.elapsed().as_secs_f64();
    assert_eq!(kept_wire, kept_owned);
    println!(
        "{}",
        serde_json::json!({
            "benchmark": "filter_hop_in_process",
            "points": points as u64,
            "validate_ns_per_point": (validate / points * 1e9 * 10.0).round() / 10.0,
            "count_ns_per_point": (count / points * 1e9 * 10.0).round() / 10.0,
            "wire_ns_per_point": (wire / points * 1e9 * 10.0).round() / 10.0,
            "owned_ns_per_point": (owned / points * 1e9 * 10.0).round() / 10.0,
            "wire_vs_owned": ((wire / owned) * 1000.0).round() / 1000.0,
        })
    );
}
