use super::*;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::AnyValue;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::metrics::v1::{Gauge, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, metric};
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use otelcol_core::model::Request;

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
    Payload::from(ExportMetricsServiceRequest {
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
    p.resources()
        .map(|r| {
            r.scopes()
                .flat_map(|s| s.items())
                .map(|i| i.name().to_string())
                .collect()
        })
        .collect()
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
    let traces = Payload::from(ExportTraceServiceRequest {
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
    let logs = Payload::from(ExportLogsServiceRequest {
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

/// The filter as it was written over owned requests; the wire filter must
/// agree with it on every generated request.
fn owned_filter(f: &AdvancedFilter, r: &mut Request) {
    match r {
        Request::Metrics(r) if !f.metrics.is_empty() => r.resource_metrics.retain_mut(|rm| {
            rm.scope_metrics.retain_mut(|sm| {
                sm.metrics.retain(|m| !f.metrics.matches(&m.name));
                !sm.metrics.is_empty()
            });
            !rm.scope_metrics.is_empty()
        }),
        Request::Traces(r) if !f.spans.is_empty() => r.resource_spans.retain_mut(|rs| {
            rs.scope_spans.retain_mut(|ss| {
                ss.spans.retain(|s| !f.spans.matches(&s.name));
                !ss.spans.is_empty()
            });
            !rs.scope_spans.is_empty()
        }),
        Request::Logs(r) if !f.logs.is_empty() => r.resource_logs.retain_mut(|rl| {
            rl.scope_logs.retain_mut(|sl| {
                sl.log_records
                    .retain(|l| match l.body.as_ref().and_then(|b| b.value.as_ref()) {
                        Some(Value::StringValue(s)) => !f.logs.matches(s),
                        _ => true,
                    });
                !sl.log_records.is_empty()
            });
            !rl.scope_logs.is_empty()
        }),
        _ => {}
    }
}

#[test]
fn wire_filter_agrees_with_the_owned_filter() {
    use otelcol_core::model::testdata::{Rng, logs_request, metrics_request, traces_request};
    let configs = [
        AdvancedFilter::new(
            &["up".into(), "scrape_*".into(), "a?".into()],
            &["*ü".into(), "db.*".into()],
            &["очередь".into(), "日本*".into()],
        )
        .unwrap(),
        AdvancedFilter::new(&[], &[], &["up".into()]).unwrap(),
        AdvancedFilter::new(&["*".into()], &["*".into()], &["*".into()]).unwrap(),
    ];
    let mut rng = Rng::new(42);
    for round in 0..900 {
        let f = &configs[round % configs.len()];
        let owned = match rng.below(3) {
            0 => Request::Traces(traces_request(&mut rng)),
            1 => Request::Metrics(metrics_request(&mut rng)),
            _ => Request::Logs(logs_request(&mut rng)),
        };
        let mut expected = owned.clone();
        owned_filter(f, &mut expected);
        let expected_empty = match &expected {
            Request::Traces(r) => r.resource_spans.is_empty(),
            Request::Metrics(r) => r.resource_metrics.is_empty(),
            Request::Logs(r) => r.resource_logs.is_empty(),
        };
        let input = Payload::from(owned);
        let wire = Payload::from_wire(input.signal(), input.into_bytes()).unwrap();
        match f.filter(wire) {
            None => assert!(expected_empty, "round {round}: the wire filter dropped everything"),
            Some(p) => {
                assert!(
                    !expected_empty,
                    "round {round}: the wire filter kept data the owned one dropped"
                );
                assert_eq!(p.decode().unwrap(), expected, "round {round}");
                assert_eq!(p.item_count(), Payload::from(expected).item_count(), "round {round}");
            }
        }
    }
}
