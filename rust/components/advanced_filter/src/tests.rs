use super::*;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::AnyValue;
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::metrics::v1::{Gauge, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, metric};
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};

fn metric(name: &str) -> Metric {
    Metric {
        name: name.into(),
        data: Some(metric::Data::Gauge(Gauge {
            data_points: vec![NumberDataPoint::default(); 2],
        })),
        ..Default::default()
    }
}

fn metrics(resources: &[&[&str]]) -> Payload {
    Payload::Metrics(ExportMetricsServiceRequest {
        resource_metrics: resources
            .iter()
            .map(|names| ResourceMetrics {
                scope_metrics: vec![ScopeMetrics {
                    metrics: names.iter().map(|n| metric(n)).collect(),
                    ..Default::default()
                }],
                ..Default::default()
            })
            .collect(),
    })
}

fn names(p: &Payload) -> Vec<Vec<String>> {
    match p {
        Payload::Metrics(r) => r
            .resource_metrics
            .iter()
            .map(|rm| {
                rm.scope_metrics
                    .iter()
                    .flat_map(|s| s.metrics.iter().map(|m| m.name.clone()))
                    .collect()
            })
            .collect(),
        _ => unreachable!(),
    }
}

fn filter(m: &[&str]) -> AdvancedFilter {
    let v: Vec<String> = m.iter().map(|s| s.to_string()).collect();
    AdvancedFilter::new(&v, &[], &[]).unwrap()
}

#[test]
fn drops_exact_and_glob_metric_names_and_empty_resources() {
    let f = filter(&["up", "scrape_*"]);
    let out = f
        .filter(metrics(&[
            &["up", "scrape_duration_seconds"],
            &["http_requests_total", "up", "scrape_samples"],
        ]))
        .unwrap();
    assert_eq!(names(&out), vec![vec!["http_requests_total".to_string()]]);
    assert_eq!(out.item_count(), 2);
}

#[test]
fn everything_dropped_yields_none() {
    let f = filter(&["up", "scrape_*"]);
    assert!(f.filter(metrics(&[&["up"], &["scrape_series_added"]])).is_none());
}

#[test]
fn non_matching_data_passes_untouched() {
    let f = filter(&["up"]);
    let input = metrics(&[&["upx", "u"]]);
    assert_eq!(f.filter(input.clone()).unwrap(), input);
}

#[test]
fn spans_by_name_and_logs_by_string_body() {
    let f = AdvancedFilter::new(&[], &["health*".into()], &["debug: *".into()]).unwrap();
    let traces = Payload::Traces(ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans: vec![
                    Span {
                        name: "healthcheck".into(),
                        ..Default::default()
                    },
                    Span {
                        name: "GET /x".into(),
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }],
            ..Default::default()
        }],
    });
    let out = f.filter(traces).unwrap();
    assert_eq!(out.item_count(), 1);

    let log = |body: Option<Value>| LogRecord {
        body: body.map(|v| AnyValue { value: Some(v) }),
        ..Default::default()
    };
    let logs = Payload::Logs(ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            scope_logs: vec![ScopeLogs {
                log_records: vec![
                    log(Some(Value::StringValue("debug: noisy".into()))),
                    log(Some(Value::StringValue("error: kept".into()))),
                    log(Some(Value::IntValue(3))),
                    log(None),
                ],
                ..Default::default()
            }],
            ..Default::default()
        }],
    });
    assert_eq!(
        f.filter(logs).unwrap().item_count(),
        3,
        "non-string bodies are never dropped"
    );
}

#[test]
fn bad_glob_names_its_index() {
    let err = AdvancedFilter::new(&["up".into(), "scrape_[0-9]".into()], &[], &[])
        .err()
        .unwrap();
    assert_eq!(err.path, "drop_metrics[1]");
    assert!(err.message.contains("not supported"), "{}", err.message);
}
