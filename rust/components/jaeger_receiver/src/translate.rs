//! Jaeger → OTLP, rule for rule as the collector-contrib Jaeger translator
//! (pkg/translator/jaeger v0.162.0, `jaegerproto_to_traces.go` and
//! `jaegerthrift_to_traces.go`) with its feature gates at their defaults, so
//! a span sent to this receiver arrives as it would through the Go one:
//! - process → resource (`service.name`, tags; `hostname` → `host.name`,
//!   `jaeger.version` → `opencensus.exporterversion`);
//! - tags → attributes; `span.kind` → kind; `error`, `otel.status_code`,
//!   `otel.status_description` and HTTP status codes → status;
//! - references → parent and links; logs → events (`event` → name);
//! - trace id high/low → the 16-byte id.
//!
//! Both protocols are first brought to one neutral form; the rules where the
//! two Go translators differ are applied before that (proto: scope tags,
//! `w3c.tracestate`, regrouping by process; thrift: `parentSpanId`).

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::InstrumentationScope;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::span::{Event, Link, SpanKind};
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};
use prost::Message;

use crate::attrs::Attrs;
use crate::{proto, thrift_model as thrift};

const SPAN_FLAGS_SAMPLED: u32 = 1;
/// Jaeger's flags: bit 0 is "sampled".
const JAEGER_SAMPLED: u32 = 1;
const RESOURCE_NO_SERVICE_NAME: &str = "OTLPResourceNoServiceName";
const HTTP_STATUS_CODE: &str = "http.status_code";
const HTTP_RESPONSE_STATUS_CODE: &str = "http.response.status_code";
/// Seconds from the Unix epoch to Go's zero `time.Time`, which gogo leaves in
/// a timestamp field the sender left out.
const GO_ZERO_TIME_UNIX: i64 = -62_135_596_800;

#[derive(Debug, PartialEq, Eq)]
pub struct TranslateError(pub String);

/// A tag value in the neutral form; `Unknown` keeps the Go rendering of an
/// unknown type name.
enum JValue {
    Str(String),
    Bool(bool),
    Int(i64),
    Double(f64),
    Bytes(Vec<u8>),
    Unknown(String),
}

struct JTag {
    key: String,
    value: JValue,
}

struct JRef {
    trace: (u64, u64),
    span_id: u64,
    /// 0 CHILD_OF, 1 FOLLOWS_FROM; links call anything but CHILD_OF "follows_from".
    ref_type: i32,
}

impl JRef {
    fn child_of(&self) -> bool {
        self.ref_type == 0
    }
}

struct JSpan {
    trace: (u64, u64),
    span_id: u64,
    parent: u64,
    name: String,
    start: u64,
    end: u64,
    sampled: bool,
    tags: Vec<JTag>,
    logs: Vec<(u64, Vec<JTag>)>,
    refs: Vec<JRef>,
    /// The proto translator reads `w3c.tracestate`; the thrift one does not.
    take_trace_state: bool,
}

fn trace_id(t: (u64, u64)) -> Vec<u8> {
    // pdata writes no bytes for an all-zero id.
    if t == (0, 0) {
        return Vec::new();
    }
    let mut v = t.0.to_be_bytes().to_vec();
    v.extend_from_slice(&t.1.to_be_bytes());
    v
}

fn span_id(s: u64) -> Vec<u8> {
    if s == 0 { Vec::new() } else { s.to_be_bytes().to_vec() }
}

/// The translator's `jTagsToInternalAttributes`: both HTTP status keys land
/// on `http.status_code` (the v0 convention, the gates' default).
fn put_tags(tags: Vec<JTag>, dest: &mut Attrs) {
    for t in tags {
        let key = if t.key == HTTP_STATUS_CODE || t.key == HTTP_RESPONSE_STATUS_CODE {
            HTTP_STATUS_CODE
        } else {
            t.key.as_str()
        };
        let v = match t.value {
            JValue::Str(s) => Value::StringValue(s),
            JValue::Bool(b) => Value::BoolValue(b),
            JValue::Int(i) => Value::IntValue(i),
            JValue::Double(d) => Value::DoubleValue(d),
            JValue::Bytes(b) => Value::BytesValue(b),
            JValue::Unknown(name) => Value::StringValue(format!("<Unknown Jaeger TagType \"{name}\">")),
        };
        dest.put(key, v);
    }
}

fn resource(service_name: &str, tags: Option<Vec<JTag>>) -> Resource {
    let mut attrs = Attrs::default();
    if service_name.is_empty() && tags.is_none() {
        return Resource::default();
    }
    if !service_name.is_empty() {
        attrs.put("service.name", Value::StringValue(service_name.to_string()));
    }
    put_tags(tags.unwrap_or_default(), &mut attrs);
    if let Some(h) = attrs.get("hostname").cloned()
        && !attrs.contains("host.name")
    {
        attrs.put("host.name", h);
        attrs.remove("hostname");
    }
    if let Some(v) = attrs.get_str("jaeger.version")
        && !attrs.contains("opencensus.exporterversion")
    {
        attrs.put("opencensus.exporterversion", Value::StringValue(format!("Jaeger-{v}")));
        attrs.remove("jaeger.version");
    }
    Resource {
        attributes: attrs.into_vec(),
        ..Default::default()
    }
}

fn span_kind(s: &str) -> SpanKind {
    match s {
        "client" => SpanKind::Client,
        "server" => SpanKind::Server,
        "producer" => SpanKind::Producer,
        "consumer" => SpanKind::Consumer,
        "internal" => SpanKind::Internal,
        _ => SpanKind::Unspecified,
    }
}

fn take_status_description(attrs: &mut Attrs) -> Option<String> {
    let d = attrs.get_str("otel.status_description")?;
    attrs.remove("otel.status_description");
    Some(d)
}

/// `getStatusCodeFromHTTPStatusAttr`; `None` where Go gets an error.
fn status_from_http(v: &Value, kind: SpanKind) -> Option<StatusCode> {
    let code = match v {
        Value::IntValue(i) => *i,
        Value::StringValue(s) => s.parse::<i64>().ok()?,
        _ => return None,
    };
    if (400..500).contains(&code) {
        match kind {
            SpanKind::Client => return Some(StatusCode::Error),
            SpanKind::Server => return Some(StatusCode::Unset),
            _ => {}
        }
    }
    Some(if (100..399).contains(&code) {
        StatusCode::Unset
    } else {
        StatusCode::Error
    })
}

/// `setInternalSpanStatus`: the `error` tag wins, then `otel.status_code`,
/// then an HTTP status code.
fn status(attrs: &mut Attrs, kind: SpanKind) -> Option<Status> {
    let mut code = StatusCode::Unset;
    let mut message = String::new();
    let mut exists = false;
    if let Some(Value::BoolValue(true)) = attrs.get("error") {
        code = StatusCode::Error;
        attrs.remove("error");
        exists = true;
        if let Some(d) = take_status_description(attrs) {
            message = d;
        } else if let Some(m) = attrs.get_str("http.status_message") {
            message = m;
        }
    }
    if let Some(c) = attrs.get_str("otel.status_code") {
        if !exists {
            exists = true;
            match c.to_uppercase().as_str() {
                "OK" => code = StatusCode::Ok,
                "ERROR" => code = StatusCode::Error,
                _ => {}
            }
            if let Some(d) = take_status_description(attrs) {
                message = d;
            }
        }
        attrs.remove("otel.status_code");
    } else if !exists
        && let Some(v) = attrs
            .get(HTTP_STATUS_CODE)
            .or_else(|| attrs.get(HTTP_RESPONSE_STATUS_CODE))
        && let Some(c) = status_from_http(&v.clone(), kind)
    {
        if c != StatusCode::Unset {
            exists = true;
            code = c;
        }
        if let Some(m) = attrs.get_str("http.status_message") {
            message = m;
        }
    }
    exists.then_some(Status {
        code: code as i32,
        message,
    })
}

fn span(j: JSpan) -> Span {
    let mut attrs = Attrs::default();
    put_tags(j.tags, &mut attrs);
    let mut kind = SpanKind::Unspecified;
    if let Some(k) = attrs.get_str("span.kind") {
        kind = span_kind(&k);
        attrs.remove("span.kind");
    }
    let status = status(&mut attrs, kind);
    let mut trace_state = String::new();
    if j.take_trace_state
        && let Some(ts) = attrs.get_str("w3c.tracestate")
    {
        trace_state = ts;
        attrs.remove("w3c.tracestate");
    }
    let events = j
        .logs
        .into_iter()
        .map(|(ts, fields)| {
            let mut a = Attrs::default();
            put_tags(fields, &mut a);
            let mut name = String::new();
            if let Some(n) = a.get_str("event") {
                name = n;
                a.remove("event");
            }
            Event {
                time_unix_nano: ts,
                name,
                attributes: a.into_vec(),
                ..Default::default()
            }
        })
        .collect();
    let skip_all = j.refs.is_empty() || (j.refs.len() == 1 && j.refs[0].span_id == j.parent && j.refs[0].child_of());
    let links = if skip_all {
        Vec::new()
    } else {
        j.refs
            .into_iter()
            .filter(|r| !(r.span_id == j.parent && r.child_of()))
            .map(|r| {
                let mut a = Attrs::default();
                let t = if r.child_of() { "child_of" } else { "follows_from" };
                a.put("opentracing.ref_type", Value::StringValue(t.to_string()));
                Link {
                    trace_id: trace_id(r.trace),
                    span_id: span_id(r.span_id),
                    attributes: a.into_vec(),
                    ..Default::default()
                }
            })
            .collect()
    };
    Span {
        trace_id: trace_id(j.trace),
        span_id: span_id(j.span_id),
        trace_state,
        parent_span_id: span_id(j.parent),
        flags: if j.sampled { SPAN_FLAGS_SAMPLED } else { 0 },
        name: j.name,
        kind: kind as i32,
        start_time_unix_nano: j.start,
        end_time_unix_nano: j.end,
        attributes: attrs.into_vec(),
        events,
        links,
        status,
        ..Default::default()
    }
}

/// Jaeger's rule for the parent: the first CHILD_OF reference in the same
/// trace, else the first FOLLOWS_FROM one.
fn parent_from_refs(trace: (u64, u64), refs: &[JRef]) -> u64 {
    let mut follows = None;
    for r in refs.iter().filter(|r| r.trace == trace) {
        if r.child_of() {
            return r.span_id;
        }
        if r.ref_type == 1 {
            follows.get_or_insert(r.span_id);
        }
    }
    follows.unwrap_or(0)
}

pub fn encode(resource_spans: Vec<ResourceSpans>) -> Vec<u8> {
    ExportTraceServiceRequest { resource_spans }.encode_to_vec()
}

// ---- Thrift ----

fn thrift_tags(tags: Vec<thrift::Tag>) -> Vec<JTag> {
    tags.into_iter()
        .map(|t| {
            let value = match t.v_type {
                thrift::TAG_STRING => JValue::Str(t.v_str.unwrap_or_default()),
                thrift::TAG_BOOL => JValue::Bool(t.v_bool.unwrap_or_default()),
                thrift::TAG_LONG => JValue::Int(t.v_long.unwrap_or_default()),
                thrift::TAG_DOUBLE => JValue::Double(t.v_double.unwrap_or_default()),
                thrift::TAG_BINARY => JValue::Bytes(t.v_binary.unwrap_or_default()),
                // Go's TagType.String() of an unknown value.
                _ => JValue::Unknown("<UNSET>".to_string()),
            };
            JTag { key: t.key, value }
        })
        .collect()
}

fn micros(us: i64) -> u64 {
    (us as u64).wrapping_mul(1000)
}

fn thrift_span(s: thrift::Span) -> JSpan {
    let trace = (s.trace_id_high as u64, s.trace_id_low as u64);
    let refs: Vec<JRef> = s
        .references
        .unwrap_or_default()
        .into_iter()
        .map(|r| JRef {
            trace: (r.trace_id_high as u64, r.trace_id_low as u64),
            span_id: r.span_id as u64,
            ref_type: r.ref_type,
        })
        .collect();
    // The thrift span says its parent itself; references are the fallback.
    let parent = if s.parent_span_id != 0 {
        s.parent_span_id as u64
    } else {
        parent_from_refs(trace, &refs)
    };
    JSpan {
        trace,
        span_id: s.span_id as u64,
        parent,
        name: s.operation_name,
        start: micros(s.start_time),
        end: micros(s.start_time.wrapping_add(s.duration)),
        sampled: (s.flags as u32) & JAEGER_SAMPLED != 0,
        tags: thrift_tags(s.tags.unwrap_or_default()),
        logs: s
            .logs
            .unwrap_or_default()
            .into_iter()
            .map(|l| (micros(l.timestamp), thrift_tags(l.fields)))
            .collect(),
        refs,
        take_trace_state: false,
    }
}

/// `ThriftToTraces`: one resource, one scope (even when every span was blank).
pub fn from_thrift(b: thrift::Batch) -> (Vec<ResourceSpans>, usize) {
    let spans_in = b.spans.len();
    let res = resource(&b.process.service_name, b.process.tags.map(thrift_tags));
    let mut rs = ResourceSpans {
        resource: Some(res),
        ..Default::default()
    };
    if !b.spans.is_empty() {
        let blank = thrift::Span::default();
        let spans = b
            .spans
            .into_iter()
            .filter(|s| *s != blank)
            .map(|s| span(thrift_span(s)))
            .collect();
        rs.scope_spans.push(ScopeSpans {
            scope: Some(InstrumentationScope::default()),
            spans,
            ..Default::default()
        });
    }
    (vec![rs], spans_in)
}

// ---- Protobuf (api_v2) ----

fn proto_trace_id(b: &[u8]) -> Result<(u64, u64), TranslateError> {
    match b.len() {
        0 => Ok((0, 0)),
        8 => Ok((0, u64::from_be_bytes(b.try_into().unwrap()))),
        16 => Ok((
            u64::from_be_bytes(b[..8].try_into().unwrap()),
            u64::from_be_bytes(b[8..].try_into().unwrap()),
        )),
        n => Err(TranslateError(format!("invalid length for TraceID: {n} bytes"))),
    }
}

fn proto_span_id(b: &[u8]) -> Result<u64, TranslateError> {
    match b.len() {
        0 => Ok(0),
        8 => Ok(u64::from_be_bytes(b.try_into().unwrap())),
        n => Err(TranslateError(format!("invalid length for SpanID: {n} bytes"))),
    }
}

fn proto_tags(tags: Vec<proto::KeyValue>) -> Vec<JTag> {
    tags.into_iter()
        .map(|t| {
            let value = match proto::ValueType::try_from(t.v_type) {
                Ok(proto::ValueType::String) => JValue::Str(t.v_str),
                Ok(proto::ValueType::Bool) => JValue::Bool(t.v_bool),
                Ok(proto::ValueType::Int64) => JValue::Int(t.v_int64),
                Ok(proto::ValueType::Float64) => JValue::Double(t.v_float64),
                Ok(proto::ValueType::Binary) => JValue::Bytes(t.v_binary),
                // gogo's enum String() of an unknown value is the number.
                Err(_) => JValue::Unknown(t.v_type.to_string()),
            };
            JTag { key: t.key, value }
        })
        .collect()
}

/// A Go `time.Time` from a timestamp field, as Unix nanoseconds (wrapping
/// like Go's `UnixNano` for the zero time an absent field leaves).
fn proto_time(t: Option<proto::Timestamp>) -> (i64, i64) {
    match t {
        Some(t) => (t.seconds, i64::from(t.nanos)),
        None => (GO_ZERO_TIME_UNIX, 0),
    }
}

fn unix_nanos((secs, nanos): (i64, i64)) -> u64 {
    secs.wrapping_mul(1_000_000_000).wrapping_add(nanos) as u64
}

fn is_blank(s: &proto::Span) -> Result<bool, TranslateError> {
    Ok(proto_trace_id(&s.trace_id)? == (0, 0)
        && proto_span_id(&s.span_id)? == 0
        && s.operation_name.is_empty()
        && s.references.is_empty()
        && s.flags == 0
        && s.start_time.is_none()
        && s.duration.is_none_or(|d| d.seconds == 0 && d.nanos == 0)
        && s.tags.is_empty()
        && s.logs.is_empty()
        && s.process.is_none()
        && s.process_id.is_empty()
        && s.warnings.is_empty())
}

fn take_tag(tags: &mut Vec<proto::KeyValue>, key: &str) -> Option<String> {
    let i = tags.iter().position(|t| t.key == key)?;
    Some(tags.remove(i).v_str)
}

fn proto_span(mut s: proto::Span) -> Result<JSpan, TranslateError> {
    let trace = proto_trace_id(&s.trace_id)?;
    let mut refs = Vec::with_capacity(s.references.len());
    for r in &s.references {
        refs.push(JRef {
            trace: proto_trace_id(&r.trace_id)?,
            span_id: proto_span_id(&r.span_id)?,
            ref_type: r.ref_type,
        });
    }
    let start = proto_time(s.start_time);
    let dur = s
        .duration
        .map(|d| d.seconds.wrapping_mul(1_000_000_000).wrapping_add(i64::from(d.nanos)))
        .unwrap_or(0);
    let start_ns = unix_nanos(start);
    Ok(JSpan {
        trace,
        span_id: proto_span_id(&s.span_id)?,
        parent: parent_from_refs(trace, &refs),
        name: std::mem::take(&mut s.operation_name),
        start: start_ns,
        end: start_ns.wrapping_add(dur as u64),
        sampled: s.flags & JAEGER_SAMPLED != 0,
        tags: proto_tags(std::mem::take(&mut s.tags)),
        logs: s
            .logs
            .into_iter()
            .map(|l| (unix_nanos(proto_time(l.timestamp)), proto_tags(l.fields)))
            .collect(),
        refs,
        take_trace_state: true,
    })
}

/// The bytes jaeger's `Process.Hash` feeds its hash, which is what the Go
/// translator groups by: service name, then per tag the key, the type as a
/// big-endian u16 and the value of that type; an unknown type ends it.
fn process_hash_input(p: &proto::Process) -> Vec<u8> {
    let mut h = p.service_name.as_bytes().to_vec();
    for t in &p.tags {
        h.extend_from_slice(t.key.as_bytes());
        h.extend_from_slice(&(t.v_type as u16).to_be_bytes());
        match proto::ValueType::try_from(t.v_type) {
            Ok(proto::ValueType::String) => h.extend_from_slice(t.v_str.as_bytes()),
            Ok(proto::ValueType::Bool) => h.push(t.v_bool as u8),
            Ok(proto::ValueType::Int64) => h.extend_from_slice(&t.v_int64.to_be_bytes()),
            Ok(proto::ValueType::Float64) => h.extend_from_slice(&t.v_float64.to_bits().to_be_bytes()),
            Ok(proto::ValueType::Binary) => h.extend_from_slice(&t.v_binary),
            Err(_) => break,
        }
    }
    h
}

/// `ProtoToTraces` for one `PostSpans` batch: spans are grouped by their
/// own process or else the batch's (processes compared as Go hashes them), then by the `otel.scope.name`/`otel.scope.version` tags.
pub fn from_proto(b: proto::Batch) -> Result<(Vec<ResourceSpans>, usize), TranslateError> {
    let spans_in = b.spans.len();
    // (process encoding, process, spans), in first-seen order.
    let mut groups: Vec<(Vec<u8>, Option<proto::Process>, Vec<proto::Span>)> = Vec::new();
    fn group(
        groups: &mut Vec<(Vec<u8>, Option<proto::Process>, Vec<proto::Span>)>,
        p: Option<proto::Process>,
    ) -> usize {
        let key = p.as_ref().map(process_hash_input).unwrap_or_default();
        if let Some(i) = groups.iter().position(|g| g.0 == key) {
            return i;
        }
        groups.push((key, p, Vec::new()));
        groups.len() - 1
    }
    let batch_group = group(&mut groups, b.process);
    for mut s in b.spans {
        let g = match s.process.take() {
            None => batch_group,
            Some(p) => {
                let g = group(&mut groups, Some(p.clone()));
                s.process = Some(p);
                g
            }
        };
        groups[g].2.push(s);
    }
    let mut out = Vec::new();
    for (_, process, spans) in groups {
        if process.is_none() && spans.is_empty() {
            continue;
        }
        let res = match process {
            Some(p) if p.service_name != RESOURCE_NO_SERVICE_NAME => {
                let tags = (!p.tags.is_empty()).then(|| proto_tags(p.tags));
                resource(&p.service_name, tags)
            }
            _ => Resource::default(),
        };
        let mut rs = ResourceSpans {
            resource: Some(res),
            ..Default::default()
        };
        for mut s in spans {
            if is_blank(&s)? {
                continue;
            }
            let mut scope = (String::new(), String::new());
            if let Some(name) = take_tag(&mut s.tags, "otel.scope.name") {
                scope.0 = name;
                if let Some(v) = take_tag(&mut s.tags, "otel.scope.version") {
                    scope.1 = v;
                }
            }
            let pos = rs.scope_spans.iter().position(|ss| {
                let sc = ss.scope.as_ref().unwrap();
                sc.name == scope.0 && sc.version == scope.1
            });
            let i = match pos {
                Some(i) => i,
                None => {
                    rs.scope_spans.push(ScopeSpans {
                        scope: Some(InstrumentationScope {
                            name: scope.0,
                            version: scope.1,
                            ..Default::default()
                        }),
                        ..Default::default()
                    });
                    rs.scope_spans.len() - 1
                }
            };
            rs.scope_spans[i].spans.push(span(proto_span(s)?));
        }
        out.push(rs);
    }
    Ok((out, spans_in))
}
