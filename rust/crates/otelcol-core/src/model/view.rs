//! Read-only views over an encoded export request. Every signal has the same
//! envelope (request.1 = resources, resource.1 = Resource, resource.2 =
//! scopes, resource.3 = schema_url, scope.1 = InstrumentationScope, scope.2 =
//! items, scope.3 = schema_url), so one walk serves traces, metrics and logs.
//! Views borrow the payload's bytes and never allocate.

use super::Signal;
use super::wire::{Value, fields, first};

fn str_of(v: Option<Value<'_>>) -> &str {
    v.and_then(|v| v.as_bytes())
        .and_then(|b| std::str::from_utf8(b).ok())
        .unwrap_or("")
}

fn bytes_of(v: Option<Value<'_>>) -> &[u8] {
    v.and_then(|v| v.as_bytes()).unwrap_or(&[])
}

fn u64_of(v: Option<Value<'_>>) -> u64 {
    v.and_then(|v| v.as_u64()).unwrap_or(0)
}

/// The length-delimited values of every field `number`, in order.
fn repeated(buf: &[u8], number: u32) -> impl Iterator<Item = &[u8]> + Clone {
    fields(buf)
        .filter(move |f| f.number == number)
        .filter_map(|f| f.value.as_bytes())
}

/// `request.resource_*` entries.
pub fn resources(request: &[u8], signal: Signal) -> impl Iterator<Item = ResourceView<'_>> + Clone {
    repeated(request, 1).map(move |bytes| ResourceView { signal, bytes })
}

#[derive(Clone, Copy, Debug)]
pub struct ResourceView<'a> {
    signal: Signal,
    bytes: &'a [u8],
}

impl<'a> ResourceView<'a> {
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Attributes of the `Resource` message.
    pub fn attributes(&self) -> Attributes<'a> {
        Attributes(bytes_of(first(self.bytes, 1)), 1)
    }

    pub fn schema_url(&self) -> &'a str {
        str_of(first(self.bytes, 3))
    }

    pub fn scopes(&self) -> impl Iterator<Item = ScopeView<'a>> + Clone + use<'a> {
        let signal = self.signal;
        repeated(self.bytes, 2).map(move |bytes| ScopeView { signal, bytes })
    }
}

#[derive(Clone, Copy, Debug)]
pub struct ScopeView<'a> {
    signal: Signal,
    bytes: &'a [u8],
}

impl<'a> ScopeView<'a> {
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    fn scope(&self) -> &'a [u8] {
        bytes_of(first(self.bytes, 1))
    }

    pub fn name(&self) -> &'a str {
        str_of(first(self.scope(), 1))
    }

    pub fn version(&self) -> &'a str {
        str_of(first(self.scope(), 2))
    }

    pub fn attributes(&self) -> Attributes<'a> {
        Attributes(self.scope(), 3)
    }

    pub fn schema_url(&self) -> &'a str {
        str_of(first(self.bytes, 3))
    }

    pub fn items(&self) -> impl Iterator<Item = ItemView<'a>> + Clone + use<'a> {
        let signal = self.signal;
        repeated(self.bytes, 2).map(move |bytes| ItemView { signal, bytes })
    }
}

/// A span, a metric or a log record.
#[derive(Clone, Copy, Debug)]
pub struct ItemView<'a> {
    signal: Signal,
    bytes: &'a [u8],
}

impl<'a> ItemView<'a> {
    pub(crate) fn new(signal: Signal, bytes: &'a [u8]) -> Self {
        ItemView { signal, bytes }
    }

    pub fn signal(&self) -> Signal {
        self.signal
    }

    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Span name, metric name, or a log record's `event_name`.
    pub fn name(&self) -> &'a str {
        match self.signal {
            Signal::Traces => str_of(first(self.bytes, 5)),
            Signal::Metrics => str_of(first(self.bytes, 1)),
            Signal::Logs => str_of(first(self.bytes, 12)),
        }
    }

    /// How many items the collector counts for this one: 1, or a metric's data points.
    pub fn item_count(&self) -> usize {
        match self.signal {
            Signal::Metrics => self.as_metric().map_or(0, |m| m.point_count()),
            _ => 1,
        }
    }

    pub fn as_span(&self) -> Option<SpanView<'a>> {
        (self.signal == Signal::Traces).then_some(SpanView(self.bytes))
    }

    pub fn as_metric(&self) -> Option<MetricView<'a>> {
        (self.signal == Signal::Metrics).then_some(MetricView(self.bytes))
    }

    pub fn as_log(&self) -> Option<LogView<'a>> {
        (self.signal == Signal::Logs).then_some(LogView(self.bytes))
    }
}

#[derive(Clone, Copy, Debug)]
pub struct SpanView<'a>(&'a [u8]);

impl<'a> SpanView<'a> {
    pub fn trace_id(&self) -> &'a [u8] {
        bytes_of(first(self.0, 1))
    }
    pub fn span_id(&self) -> &'a [u8] {
        bytes_of(first(self.0, 2))
    }
    pub fn parent_span_id(&self) -> &'a [u8] {
        bytes_of(first(self.0, 4))
    }
    pub fn name(&self) -> &'a str {
        str_of(first(self.0, 5))
    }
    pub fn kind(&self) -> i32 {
        u64_of(first(self.0, 6)) as i32
    }
    pub fn start_time_unix_nano(&self) -> u64 {
        u64_of(first(self.0, 7))
    }
    pub fn end_time_unix_nano(&self) -> u64 {
        u64_of(first(self.0, 8))
    }
    pub fn attributes(&self) -> Attributes<'a> {
        Attributes(self.0, 9)
    }
    pub fn status_code(&self) -> i32 {
        u64_of(first(bytes_of(first(self.0, 15)), 3)) as i32
    }
}

/// The kind of data a metric carries (its `data` oneof).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricType {
    Empty,
    Gauge,
    Sum,
    Histogram,
    ExponentialHistogram,
    Summary,
}

#[derive(Clone, Copy, Debug)]
pub struct MetricView<'a>(&'a [u8]);

impl<'a> MetricView<'a> {
    pub fn name(&self) -> &'a str {
        str_of(first(self.0, 1))
    }
    pub fn description(&self) -> &'a str {
        str_of(first(self.0, 2))
    }
    pub fn unit(&self) -> &'a str {
        str_of(first(self.0, 3))
    }
    pub fn metadata(&self) -> Attributes<'a> {
        Attributes(self.0, 12)
    }

    fn data(&self) -> (MetricType, &'a [u8]) {
        let mut found = (MetricType::Empty, &[][..]);
        // A oneof: the last one on the wire wins.
        for f in fields(self.0) {
            let t = match f.number {
                5 => MetricType::Gauge,
                7 => MetricType::Sum,
                9 => MetricType::Histogram,
                10 => MetricType::ExponentialHistogram,
                11 => MetricType::Summary,
                _ => continue,
            };
            found = (t, f.value.as_bytes().unwrap_or(&[]));
        }
        found
    }

    pub fn metric_type(&self) -> MetricType {
        self.data().0
    }

    /// Data points: every data type keeps them in its field 1.
    pub fn data_points(&self) -> impl Iterator<Item = DataPointView<'a>> + Clone + use<'a> {
        let (t, data) = self.data();
        repeated(data, 1).map(move |b| DataPointView(t, b))
    }

    pub fn point_count(&self) -> usize {
        self.data_points().count()
    }
}

#[derive(Clone, Copy, Debug)]
pub struct DataPointView<'a>(MetricType, &'a [u8]);

impl<'a> DataPointView<'a> {
    pub fn time_unix_nano(&self) -> u64 {
        u64_of(first(self.1, 3))
    }
    pub fn start_time_unix_nano(&self) -> u64 {
        u64_of(first(self.1, 2))
    }
    pub fn attributes(&self) -> Attributes<'a> {
        let number = match self.0 {
            MetricType::Histogram => 9,
            MetricType::ExponentialHistogram => 1,
            _ => 7,
        };
        Attributes(self.1, number)
    }
}

#[derive(Clone, Copy, Debug)]
pub struct LogView<'a>(&'a [u8]);

impl<'a> LogView<'a> {
    pub fn time_unix_nano(&self) -> u64 {
        u64_of(first(self.0, 1))
    }
    pub fn severity_number(&self) -> i32 {
        u64_of(first(self.0, 2)) as i32
    }
    pub fn severity_text(&self) -> &'a str {
        str_of(first(self.0, 3))
    }
    pub fn body(&self) -> Option<AnyValueView<'a>> {
        first(self.0, 5).and_then(|v| v.as_bytes()).map(AnyValueView)
    }
    pub fn attributes(&self) -> Attributes<'a> {
        Attributes(self.0, 6)
    }
    pub fn trace_id(&self) -> &'a [u8] {
        bytes_of(first(self.0, 9))
    }
    pub fn span_id(&self) -> &'a [u8] {
        bytes_of(first(self.0, 10))
    }
    pub fn event_name(&self) -> &'a str {
        str_of(first(self.0, 12))
    }
}

/// An `AnyValue`, read lazily.
#[derive(Clone, Copy, Debug)]
pub struct AnyValueView<'a>(&'a [u8]);

impl<'a> AnyValueView<'a> {
    /// The string value, when the value is a string.
    pub fn as_str(&self) -> Option<&'a str> {
        let mut s = None;
        for f in fields(self.0) {
            s = match f.number {
                1 => f.value.as_bytes().and_then(|b| std::str::from_utf8(b).ok()),
                2..=8 => None,
                _ => continue,
            };
        }
        s
    }

    pub fn as_i64(&self) -> Option<i64> {
        let mut v = None;
        for f in fields(self.0) {
            v = match f.number {
                3 => f.value.as_u64().map(|u| u as i64),
                1 | 2 | 4..=8 => None,
                _ => continue,
            };
        }
        v
    }

    pub fn as_bool(&self) -> Option<bool> {
        let mut v = None;
        for f in fields(self.0) {
            v = match f.number {
                2 => f.value.as_u64().map(|u| u != 0),
                1 | 3..=8 => None,
                _ => continue,
            };
        }
        v
    }
}

/// Key/value pairs of repeated `KeyValue` field `number` of a message.
#[derive(Clone, Copy, Debug)]
pub struct Attributes<'a>(&'a [u8], u32);

impl<'a> Attributes<'a> {
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, AnyValueView<'a>)> + Clone + use<'a> {
        repeated(self.0, self.1).map(|kv| (str_of(first(kv, 1)), AnyValueView(bytes_of(first(kv, 2)))))
    }

    pub fn get(&self, key: &str) -> Option<AnyValueView<'a>> {
        self.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }
}
