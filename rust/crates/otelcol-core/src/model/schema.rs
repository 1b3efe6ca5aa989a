//! The OTLP message schema as data: field numbers and kinds of every message an
//! export request can hold, so one walker can validate any signal in place.
//!
//! Field numbers are those of opentelemetry-proto (common, resource, trace,
//! metrics, logs v1). Unknown fields are allowed and kept, as protobuf
//! requires; known fields must have the kind declared here.

/// How a field's value is checked.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// int32/int64/uint32/uint64/bool/enum.
    Varint,
    /// sint32/sint64: zigzag varint.
    SignedVarint,
    /// double: 8 bytes.
    Double,
    /// repeated double: 8 bytes each, packed or not.
    RepeatedDouble,
    /// fixed64/sfixed64/double: 8 bytes.
    Fixed64,
    /// fixed32/float: 4 bytes.
    Fixed32,
    /// repeated uint64: varints, packed or not.
    RepeatedVarint,
    /// repeated fixed64/double: 8 bytes each, packed or not.
    RepeatedFixed64,
    Bytes,
    /// Must be valid UTF-8 (protobuf's proto3 rule, which prost enforces too).
    String,
    /// Trace or span id: empty, or exactly this many bytes (as the Go pdata
    /// decoder requires).
    Id(usize),
    Message(&'static Msg),
    /// A message that is one countable item: a span, a log record, a data point.
    Item(&'static Msg),
}

#[derive(Debug)]
pub struct Msg {
    pub name: &'static str,
    pub fields: &'static [(u32, &'static str, Kind)],
}

impl Msg {
    #[inline]
    pub fn field(&self, number: u32) -> Option<&(u32, &'static str, Kind)> {
        // Most tables list fields 1, 2, 3… in order, so the field usually sits
        // at number - 1; the scan covers the gaps (reserved numbers).
        match self.fields.get((number as usize).wrapping_sub(1)) {
            Some(f) if f.0 == number => Some(f),
            _ => self.fields.iter().find(|f| f.0 == number),
        }
    }
}

use Kind::*;

// --- common ---------------------------------------------------------------

pub static ANY_VALUE: Msg = Msg {
    name: "AnyValue",
    fields: &[
        (1, "string_value", String),
        (2, "bool_value", Varint),
        (3, "int_value", Varint),
        (4, "double_value", Double),
        (5, "array_value", Message(&ARRAY_VALUE)),
        (6, "kvlist_value", Message(&KEY_VALUE_LIST)),
        (7, "bytes_value", Bytes),
        (8, "string_value_strindex", Varint),
    ],
};
pub static ARRAY_VALUE: Msg = Msg {
    name: "ArrayValue",
    fields: &[(1, "values", Message(&ANY_VALUE))],
};
pub static KEY_VALUE_LIST: Msg = Msg {
    name: "KeyValueList",
    fields: &[(1, "values", Message(&KEY_VALUE))],
};
pub static KEY_VALUE: Msg = Msg {
    name: "KeyValue",
    fields: &[
        (1, "key", String),
        (2, "value", Message(&ANY_VALUE)),
        (3, "key_strindex", Varint),
    ],
};
pub static SCOPE: Msg = Msg {
    name: "InstrumentationScope",
    fields: &[
        (1, "name", String),
        (2, "version", String),
        (3, "attributes", Message(&KEY_VALUE)),
        (4, "dropped_attributes_count", Varint),
    ],
};
pub static ENTITY_REF: Msg = Msg {
    name: "EntityRef",
    fields: &[
        (1, "schema_url", String),
        (2, "type", String),
        (3, "id_keys", String),
        (4, "description_keys", String),
    ],
};
pub static RESOURCE: Msg = Msg {
    name: "Resource",
    fields: &[
        (1, "attributes", Message(&KEY_VALUE)),
        (2, "dropped_attributes_count", Varint),
        (3, "entity_refs", Message(&ENTITY_REF)),
    ],
};

// --- traces ---------------------------------------------------------------

pub static TRACES_REQUEST: Msg = Msg {
    name: "ExportTraceServiceRequest",
    fields: &[(1, "resource_spans", Message(&RESOURCE_SPANS))],
};
pub static RESOURCE_SPANS: Msg = Msg {
    name: "ResourceSpans",
    fields: &[
        (1, "resource", Message(&RESOURCE)),
        (2, "scope_spans", Message(&SCOPE_SPANS)),
        (3, "schema_url", String),
    ],
};
pub static SCOPE_SPANS: Msg = Msg {
    name: "ScopeSpans",
    fields: &[
        (1, "scope", Message(&SCOPE)),
        (2, "spans", Item(&SPAN)),
        (3, "schema_url", String),
    ],
};
pub static SPAN: Msg = Msg {
    name: "Span",
    fields: &[
        (1, "trace_id", Id(16)),
        (2, "span_id", Id(8)),
        (3, "trace_state", String),
        (4, "parent_span_id", Id(8)),
        (16, "flags", Fixed32),
        (5, "name", String),
        (6, "kind", Varint),
        (7, "start_time_unix_nano", Fixed64),
        (8, "end_time_unix_nano", Fixed64),
        (9, "attributes", Message(&KEY_VALUE)),
        (10, "dropped_attributes_count", Varint),
        (11, "events", Message(&EVENT)),
        (12, "dropped_events_count", Varint),
        (13, "links", Message(&LINK)),
        (14, "dropped_links_count", Varint),
        (15, "status", Message(&STATUS)),
    ],
};
pub static EVENT: Msg = Msg {
    name: "Span.Event",
    fields: &[
        (1, "time_unix_nano", Fixed64),
        (2, "name", String),
        (3, "attributes", Message(&KEY_VALUE)),
        (4, "dropped_attributes_count", Varint),
    ],
};
pub static LINK: Msg = Msg {
    name: "Span.Link",
    fields: &[
        (1, "trace_id", Id(16)),
        (2, "span_id", Id(8)),
        (3, "trace_state", String),
        (4, "attributes", Message(&KEY_VALUE)),
        (5, "dropped_attributes_count", Varint),
        (6, "flags", Fixed32),
    ],
};
pub static STATUS: Msg = Msg {
    name: "Status",
    fields: &[(2, "message", String), (3, "code", Varint)],
};

// --- metrics --------------------------------------------------------------

pub static METRICS_REQUEST: Msg = Msg {
    name: "ExportMetricsServiceRequest",
    fields: &[(1, "resource_metrics", Message(&RESOURCE_METRICS))],
};
pub static RESOURCE_METRICS: Msg = Msg {
    name: "ResourceMetrics",
    fields: &[
        (1, "resource", Message(&RESOURCE)),
        (2, "scope_metrics", Message(&SCOPE_METRICS)),
        (3, "schema_url", String),
    ],
};
pub static SCOPE_METRICS: Msg = Msg {
    name: "ScopeMetrics",
    fields: &[
        (1, "scope", Message(&SCOPE)),
        (2, "metrics", Message(&METRIC)),
        (3, "schema_url", String),
    ],
};
pub static METRIC: Msg = Msg {
    name: "Metric",
    fields: &[
        (1, "name", String),
        (2, "description", String),
        (3, "unit", String),
        (5, "gauge", Message(&GAUGE)),
        (7, "sum", Message(&SUM)),
        (9, "histogram", Message(&HISTOGRAM)),
        (10, "exponential_histogram", Message(&EXP_HISTOGRAM)),
        (11, "summary", Message(&SUMMARY)),
        (12, "metadata", Message(&KEY_VALUE)),
    ],
};
pub static GAUGE: Msg = Msg {
    name: "Gauge",
    fields: &[(1, "data_points", Item(&NUMBER_POINT))],
};
pub static SUM: Msg = Msg {
    name: "Sum",
    fields: &[
        (1, "data_points", Item(&NUMBER_POINT)),
        (2, "aggregation_temporality", Varint),
        (3, "is_monotonic", Varint),
    ],
};
pub static HISTOGRAM: Msg = Msg {
    name: "Histogram",
    fields: &[
        (1, "data_points", Item(&HISTOGRAM_POINT)),
        (2, "aggregation_temporality", Varint),
    ],
};
pub static EXP_HISTOGRAM: Msg = Msg {
    name: "ExponentialHistogram",
    fields: &[
        (1, "data_points", Item(&EXP_HISTOGRAM_POINT)),
        (2, "aggregation_temporality", Varint),
    ],
};
pub static SUMMARY: Msg = Msg {
    name: "Summary",
    fields: &[(1, "data_points", Item(&SUMMARY_POINT))],
};
pub static NUMBER_POINT: Msg = Msg {
    name: "NumberDataPoint",
    fields: &[
        (7, "attributes", Message(&KEY_VALUE)),
        (2, "start_time_unix_nano", Fixed64),
        (3, "time_unix_nano", Fixed64),
        (4, "as_double", Double),
        (6, "as_int", Fixed64),
        (5, "exemplars", Message(&EXEMPLAR)),
        (8, "flags", Varint),
    ],
};
pub static HISTOGRAM_POINT: Msg = Msg {
    name: "HistogramDataPoint",
    fields: &[
        (9, "attributes", Message(&KEY_VALUE)),
        (2, "start_time_unix_nano", Fixed64),
        (3, "time_unix_nano", Fixed64),
        (4, "count", Fixed64),
        (5, "sum", Double),
        (6, "bucket_counts", RepeatedFixed64),
        (7, "explicit_bounds", RepeatedDouble),
        (8, "exemplars", Message(&EXEMPLAR)),
        (10, "flags", Varint),
        (11, "min", Double),
        (12, "max", Double),
    ],
};
pub static EXP_HISTOGRAM_POINT: Msg = Msg {
    name: "ExponentialHistogramDataPoint",
    fields: &[
        (1, "attributes", Message(&KEY_VALUE)),
        (2, "start_time_unix_nano", Fixed64),
        (3, "time_unix_nano", Fixed64),
        (4, "count", Fixed64),
        (5, "sum", Double),
        (6, "scale", SignedVarint),
        (7, "zero_count", Fixed64),
        (8, "positive", Message(&BUCKETS)),
        (9, "negative", Message(&BUCKETS)),
        (10, "flags", Varint),
        (11, "exemplars", Message(&EXEMPLAR)),
        (12, "min", Double),
        (13, "max", Double),
        (14, "zero_threshold", Double),
    ],
};
pub static BUCKETS: Msg = Msg {
    name: "ExponentialHistogramDataPoint.Buckets",
    fields: &[(1, "offset", SignedVarint), (2, "bucket_counts", RepeatedVarint)],
};
pub static SUMMARY_POINT: Msg = Msg {
    name: "SummaryDataPoint",
    fields: &[
        (7, "attributes", Message(&KEY_VALUE)),
        (2, "start_time_unix_nano", Fixed64),
        (3, "time_unix_nano", Fixed64),
        (4, "count", Fixed64),
        (5, "sum", Double),
        (6, "quantile_values", Message(&VALUE_AT_QUANTILE)),
        (8, "flags", Varint),
    ],
};
pub static VALUE_AT_QUANTILE: Msg = Msg {
    name: "SummaryDataPoint.ValueAtQuantile",
    fields: &[(1, "quantile", Double), (2, "value", Double)],
};
pub static EXEMPLAR: Msg = Msg {
    name: "Exemplar",
    fields: &[
        (7, "filtered_attributes", Message(&KEY_VALUE)),
        (2, "time_unix_nano", Fixed64),
        (3, "as_double", Double),
        (6, "as_int", Fixed64),
        (4, "span_id", Id(8)),
        (5, "trace_id", Id(16)),
    ],
};

// --- logs -----------------------------------------------------------------

pub static LOGS_REQUEST: Msg = Msg {
    name: "ExportLogsServiceRequest",
    fields: &[(1, "resource_logs", Message(&RESOURCE_LOGS))],
};
pub static RESOURCE_LOGS: Msg = Msg {
    name: "ResourceLogs",
    fields: &[
        (1, "resource", Message(&RESOURCE)),
        (2, "scope_logs", Message(&SCOPE_LOGS)),
        (3, "schema_url", String),
    ],
};
pub static SCOPE_LOGS: Msg = Msg {
    name: "ScopeLogs",
    fields: &[
        (1, "scope", Message(&SCOPE)),
        (2, "log_records", Item(&LOG_RECORD)),
        (3, "schema_url", String),
    ],
};
pub static LOG_RECORD: Msg = Msg {
    name: "LogRecord",
    fields: &[
        (1, "time_unix_nano", Fixed64),
        (11, "observed_time_unix_nano", Fixed64),
        (2, "severity_number", Varint),
        (3, "severity_text", String),
        (5, "body", Message(&ANY_VALUE)),
        (6, "attributes", Message(&KEY_VALUE)),
        (7, "dropped_attributes_count", Varint),
        (8, "flags", Fixed32),
        (9, "trace_id", Id(16)),
        (10, "span_id", Id(8)),
        (12, "event_name", String),
    ],
};
