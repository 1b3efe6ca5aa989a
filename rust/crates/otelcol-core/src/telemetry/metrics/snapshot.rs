//! Every counter at one instant, as a plain list ([`snapshot`]) or encoded as
//! an OTLP `ExportMetricsServiceRequest` ([`Snapshot::encode`]): the form the
//! parent collector reads over the health socket, and an in-process caller
//! over FFI, without sharing any Rust type.

use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{SystemTime, UNIX_EPOCH};

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::{
    AggregationTemporality, Gauge, Histogram, HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics,
    ScopeMetrics, Sum, metric, number_data_point,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message;

use super::Registry;
use super::series::HOP_BOUNDS;
use crate::component::Signal;

#[derive(Clone, Debug, PartialEq)]
pub enum AttrValue {
    Str(String),
    Bool(bool),
}

/// One cumulative counter value with its attributes, named as the Go
/// collector names the instrument (`otelcol_receiver_accepted_spans`…).
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub name: &'static str,
    pub attrs: Vec<(&'static str, AttrValue)>,
    pub value: u64,
}

/// One cumulative histogram: per-bucket counts over `HOP_BOUNDS`, sum in seconds.
#[derive(Clone, Debug, PartialEq)]
pub struct HistogramPoint {
    pub name: &'static str,
    pub attrs: Vec<(&'static str, AttrValue)>,
    pub bounds: &'static [f64],
    pub counts: Vec<u64>,
    pub sum: f64,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    /// Unique to the counting service: a reader that sees it change knows the
    /// counters restarted from zero. Empty when nothing counts.
    pub instance: String,
    pub start_unix_nano: u64,
    pub points: Vec<Point>,
    /// Current values (queue size and capacity), not cumulative.
    pub gauges: Vec<Point>,
    pub histograms: Vec<HistogramPoint>,
}

/// The name of the bridge latency histogram.
pub const BRIDGE_DURATION: &str = "otelcol_hybrid_bridge_duration";

fn items(signal: Signal) -> &'static str {
    match signal {
        Signal::Traces => "spans",
        Signal::Metrics => "metric_points",
        Signal::Logs => "log_records",
    }
}

/// The Go instrument name for `<kind>_<what>_<items of signal>`, as a static
/// string (there are few: three signals × the names below).
fn name(prefix: &'static str, signal: Signal) -> &'static str {
    macro_rules! table {
        ($($p:literal),*) => {
            match (prefix, signal) {
                $(
                    ($p, Signal::Traces) => concat!($p, "_spans"),
                    ($p, Signal::Metrics) => concat!($p, "_metric_points"),
                    ($p, Signal::Logs) => concat!($p, "_log_records"),
                )*
                _ => unreachable!("no instrument {prefix}_{}", items(signal)),
            }
        };
    }
    table!(
        "otelcol_receiver_accepted",
        "otelcol_receiver_refused",
        "otelcol_receiver_failed",
        "otelcol_exporter_sent",
        "otelcol_exporter_send_failed",
        "otelcol_exporter_enqueue_failed"
    )
}

fn s(v: &str) -> AttrValue {
    AttrValue::Str(v.to_string())
}

/// A new counting epoch: unique within the process (a service restarted in
/// the same process, as in embedded mode, counts from zero again) and across
/// processes (pid), with when it began.
pub(super) fn new_epoch() -> (String, u64) {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos() as u64;
    let seq = SEQ.fetch_add(1, Relaxed);
    (format!("{}-{now}-{seq}", std::process::id()), now)
}

impl Registry {
    pub fn snapshot(&self) -> Snapshot {
        let mut snap = Snapshot {
            instance: self.epoch.0.clone(),
            start_unix_nano: self.epoch.1,
            ..Snapshot::default()
        };
        let p = &mut snap.points;
        for r in Registry::all(&self.receivers) {
            let mut attrs = vec![("receiver", s(&r.receiver))];
            if !r.transport.is_empty() {
                attrs.push(("transport", s(r.transport)));
            }
            for (prefix, c) in [
                ("otelcol_receiver_accepted", &r.accepted),
                ("otelcol_receiver_refused", &r.refused),
                ("otelcol_receiver_failed", &r.failed),
            ] {
                p.push(Point {
                    name: name(prefix, r.signal),
                    attrs: attrs.clone(),
                    value: c.load(Relaxed),
                });
            }
        }
        for pr in Registry::all(&self.processors) {
            let attrs = vec![("processor", s(&pr.processor)), ("otel.signal", s(pr.signal.as_str()))];
            for (n, c) in [
                ("otelcol_processor_incoming_items", &pr.incoming),
                ("otelcol_processor_outgoing_items", &pr.outgoing),
            ] {
                p.push(Point {
                    name: n,
                    attrs: attrs.clone(),
                    value: c.load(Relaxed),
                });
            }
        }
        for e in Registry::all(&self.exporters) {
            let attrs = vec![("exporter", s(&e.exporter))];
            p.push(Point {
                name: name("otelcol_exporter_sent", e.signal),
                attrs: attrs.clone(),
                value: e.sent.load(Relaxed),
            });
            let refused = e.enqueue_failed.load(Relaxed);
            if refused > 0 {
                p.push(Point {
                    name: name("otelcol_exporter_enqueue_failed", e.signal),
                    attrs: attrs.clone(),
                    value: refused,
                });
            }
            let capacity = e.queue_capacity.load(Relaxed);
            if capacity > 0 {
                let q = vec![("exporter", s(&e.exporter)), ("data_type", s(e.signal.as_str()))];
                snap.gauges.push(Point {
                    name: "otelcol_exporter_queue_size",
                    attrs: q.clone(),
                    value: e.queue_size.load(Relaxed),
                });
                snap.gauges.push(Point {
                    name: "otelcol_exporter_queue_capacity",
                    attrs: q,
                    value: capacity,
                });
            }
            // As exporterhelper: a failure series exists once something failed.
            for (ty, permanent, n) in e.send_failed() {
                let mut a = attrs.clone();
                a.push(("error.type", s(ty)));
                a.push(("error.permanent", AttrValue::Bool(permanent)));
                p.push(Point {
                    name: name("otelcol_exporter_send_failed", e.signal),
                    attrs: a,
                    value: n,
                });
            }
        }
        for b in Registry::all(&self.bridges) {
            let (counts, sum) = b.read();
            snap.histograms.push(HistogramPoint {
                name: BRIDGE_DURATION,
                attrs: vec![
                    ("bridge", s(&b.bridge)),
                    ("direction", s(b.direction)),
                    ("otel.signal", s(b.signal.as_str())),
                ],
                bounds: &HOP_BOUNDS,
                counts,
                sum,
            });
        }
        snap
    }
}

/// The counters of the service running in this process; empty before one
/// started or when its metrics level is `none`.
pub fn snapshot() -> Snapshot {
    match super::current() {
        Some(r) if r.level() > super::Level::None => r.snapshot(),
        _ => Snapshot::default(),
    }
}

fn kv(k: &str, v: &AttrValue) -> KeyValue {
    let value = match v {
        AttrValue::Str(s) => any_value::Value::StringValue(s.clone()),
        AttrValue::Bool(b) => any_value::Value::BoolValue(*b),
    };
    KeyValue {
        key: k.to_string(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}

impl Snapshot {
    /// One `ExportMetricsServiceRequest`: a cumulative monotonic sum per
    /// counter name, a cumulative histogram per histogram name, the resource
    /// carrying `service.instance.id` = [`Snapshot::instance`].
    pub fn to_otlp(&self) -> ExportMetricsServiceRequest {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos() as u64;
        let mut metrics: Vec<Metric> = Vec::new();
        for pt in &self.points {
            let dp = NumberDataPoint {
                attributes: pt.attrs.iter().map(|(k, v)| kv(k, v)).collect(),
                start_time_unix_nano: self.start_unix_nano,
                time_unix_nano: now,
                value: Some(number_data_point::Value::AsInt(pt.value as i64)),
                ..Default::default()
            };
            match metrics.iter_mut().find(|m| m.name == pt.name) {
                Some(Metric {
                    data: Some(metric::Data::Sum(sum)),
                    ..
                }) => sum.data_points.push(dp),
                _ => metrics.push(Metric {
                    name: pt.name.to_string(),
                    data: Some(metric::Data::Sum(Sum {
                        data_points: vec![dp],
                        aggregation_temporality: AggregationTemporality::Cumulative as i32,
                        is_monotonic: true,
                    })),
                    ..Default::default()
                }),
            }
        }
        for g in &self.gauges {
            let dp = NumberDataPoint {
                attributes: g.attrs.iter().map(|(k, v)| kv(k, v)).collect(),
                time_unix_nano: now,
                value: Some(number_data_point::Value::AsInt(g.value as i64)),
                ..Default::default()
            };
            match metrics.iter_mut().find(|m| m.name == g.name) {
                Some(Metric {
                    data: Some(metric::Data::Gauge(gauge)),
                    ..
                }) => gauge.data_points.push(dp),
                _ => metrics.push(Metric {
                    name: g.name.to_string(),
                    data: Some(metric::Data::Gauge(Gauge { data_points: vec![dp] })),
                    ..Default::default()
                }),
            }
        }
        for h in &self.histograms {
            let dp = HistogramDataPoint {
                attributes: h.attrs.iter().map(|(k, v)| kv(k, v)).collect(),
                start_time_unix_nano: self.start_unix_nano,
                time_unix_nano: now,
                count: h.counts.iter().sum(),
                sum: Some(h.sum),
                bucket_counts: h.counts.clone(),
                explicit_bounds: h.bounds.to_vec(),
                ..Default::default()
            };
            match metrics.iter_mut().find(|m| m.name == h.name) {
                Some(Metric {
                    data: Some(metric::Data::Histogram(hist)),
                    ..
                }) => hist.data_points.push(dp),
                _ => metrics.push(Metric {
                    name: h.name.to_string(),
                    unit: "s".to_string(),
                    data: Some(metric::Data::Histogram(Histogram {
                        data_points: vec![dp],
                        aggregation_temporality: AggregationTemporality::Cumulative as i32,
                    })),
                    ..Default::default()
                }),
            }
        }
        ExportMetricsServiceRequest {
            resource_metrics: vec![ResourceMetrics {
                resource: Some(Resource {
                    attributes: vec![kv("service.instance.id", &AttrValue::Str(self.instance.clone()))],
                    ..Default::default()
                }),
                scope_metrics: vec![ScopeMetrics {
                    scope: Some(InstrumentationScope {
                        name: "otelcol-rust".to_string(),
                        ..Default::default()
                    }),
                    metrics,
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        self.to_otlp().encode_to_vec()
    }
}
