//! OTLP/JSON → protobuf, driven by the same schema table the validator uses.
//!
//! The rules are those of the OTLP spec and protojson, as the Go receiver
//! (pdata) applies them: lowerCamelCase or original field names; 64-bit
//! integers as numbers or strings; doubles as numbers or "NaN", "Infinity",
//! "-Infinity"; trace and span ids as hex, other bytes as base64; enums as
//! numbers or names; absent, null and empty values allowed anywhere; unknown
//! fields ignored. The result is encoded protobuf, validated afterwards like
//! any request from the wire.

use serde_json::Value;

use super::schema::{Kind, Msg};
use super::wire::{put_len_header, put_varint};

/// Encodes an OTLP/JSON export request as protobuf.
pub fn to_protobuf(json: &[u8], request: &'static Msg) -> Result<Vec<u8>, String> {
    let v: Value = serde_json::from_slice(json).map_err(|e| e.to_string())?;
    let mut out = Vec::with_capacity(json.len() / 2);
    encode_message(&v, request, &mut out, request.name)?;
    Ok(out)
}

fn camel_eq(snake: &str, key: &str) -> bool {
    if snake == key {
        return true;
    }
    let mut k = key.chars();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
            continue;
        }
        let want = if upper { c.to_ascii_uppercase() } else { c };
        upper = false;
        if k.next() != Some(want) {
            return false;
        }
    }
    k.next().is_none()
}

fn encode_message(v: &Value, msg: &'static Msg, out: &mut Vec<u8>, at: &str) -> Result<(), String> {
    let obj = match v {
        Value::Null => return Ok(()),
        Value::Object(o) => o,
        _ => return Err(format!("{at}: expected an object")),
    };
    for (key, val) in obj {
        let Some(&(number, name, kind)) = msg.fields.iter().find(|(_, n, _)| camel_eq(n, key)) else {
            continue; // unknown fields are skipped, as pdata does
        };
        if val.is_null() {
            continue;
        }
        let here = || format!("{at}.{key}");
        match kind {
            Kind::Message(m) | Kind::Item(m) => {
                let mut one = |item: &Value| -> Result<(), String> {
                    let mut inner = Vec::new();
                    encode_message(item, m, &mut inner, &here())?;
                    put_len_header(out, number, inner.len());
                    out.extend_from_slice(&inner);
                    Ok(())
                };
                match val {
                    Value::Array(items) => items.iter().try_for_each(&mut one)?,
                    item => one(item)?,
                }
            }
            Kind::RepeatedVarint | Kind::RepeatedFixed64 | Kind::RepeatedDouble => {
                let Value::Array(items) = val else {
                    return Err(format!("{}: expected an array", here()));
                };
                let mut packed = Vec::new();
                for item in items {
                    match kind {
                        Kind::RepeatedVarint => {
                            put_varint(&mut packed, integer(item).ok_or_else(|| bad(&here(), item))? as u64)
                        }
                        Kind::RepeatedFixed64 => packed.extend_from_slice(
                            &(integer(item).ok_or_else(|| bad(&here(), item))? as u64).to_le_bytes(),
                        ),
                        _ => packed.extend_from_slice(&double(item).ok_or_else(|| bad(&here(), item))?.to_le_bytes()),
                    }
                }
                put_len_header(out, number, packed.len());
                out.extend_from_slice(&packed);
            }
            // Repeated strings (EntityRef.id_keys, …) are arrays of scalars.
            _ => match val {
                Value::Array(items) => {
                    for item in items {
                        scalar(item, number, name, kind, out).map_err(|_| bad(&here(), item))?;
                    }
                }
                _ => scalar(val, number, name, kind, out).map_err(|_| bad(&here(), val))?,
            },
        }
    }
    Ok(())
}

fn bad(at: &str, v: &Value) -> String {
    let mut shown = v.to_string();
    if shown.len() > 40 {
        shown.truncate(40);
        shown.push('…');
    }
    format!("{at}: invalid value {shown}")
}

fn tag(out: &mut Vec<u8>, number: u32, wire: u64) {
    put_varint(out, (u64::from(number) << 3) | wire);
}

fn scalar(v: &Value, number: u32, name: &str, kind: Kind, out: &mut Vec<u8>) -> Result<(), ()> {
    match kind {
        Kind::String => {
            let s = v.as_str().ok_or(())?;
            put_len_header(out, number, s.len());
            out.extend_from_slice(s.as_bytes());
        }
        Kind::Bytes => {
            let b = base64(v.as_str().ok_or(())?).ok_or(())?;
            put_len_header(out, number, b.len());
            out.extend_from_slice(&b);
        }
        Kind::Id(_) => {
            let b = hex(v.as_str().ok_or(())?).ok_or(())?;
            put_len_header(out, number, b.len());
            out.extend_from_slice(&b);
        }
        Kind::Varint => {
            let n = match v {
                Value::Bool(b) => i128::from(*b),
                Value::String(s) if s.starts_with(|c: char| c.is_ascii_uppercase()) => {
                    i128::from(enum_value(name, s).ok_or(())?)
                }
                other => integer(other).ok_or(())?,
            };
            tag(out, number, 0);
            // Negative int32/int64 values are sign-extended to 64 bits.
            put_varint(out, n as i64 as u64);
        }
        Kind::SignedVarint => {
            let n = integer(v).ok_or(())? as i64;
            tag(out, number, 0);
            put_varint(out, ((n << 1) ^ (n >> 63)) as u64);
        }
        Kind::Fixed64 => {
            tag(out, number, 1);
            out.extend_from_slice(&(integer(v).ok_or(())? as i64 as u64).to_le_bytes());
        }
        Kind::Double => {
            tag(out, number, 1);
            out.extend_from_slice(&double(v).ok_or(())?.to_le_bytes());
        }
        Kind::Fixed32 => {
            tag(out, number, 5);
            out.extend_from_slice(&(integer(v).ok_or(())? as u32).to_le_bytes());
        }
        _ => return Err(()),
    }
    Ok(())
}

/// An integer from a JSON number or a decimal string (64-bit values are
/// strings in OTLP/JSON, since JSON numbers lose precision past 2^53).
fn integer(v: &Value) -> Option<i128> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i128)),
        Value::String(s) => s.trim().parse::<i128>().ok(),
        _ => None,
    }
    .filter(|n| *n >= i128::from(i64::MIN) && *n <= i128::from(u64::MAX))
}

const GO_NAN_BITS: u64 = 0x7FF8_0000_0000_0001;

fn double(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => match s.as_str() {
            // Go's math.NaN() bits, which the Go receiver decodes "NaN" to:
            // the same item must give the same bytes on either path.
            "NaN" => Some(f64::from_bits(GO_NAN_BITS)),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            other => other.trim().parse().ok(),
        },
        _ => None,
    }
}

fn hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Standard or URL-safe base64, padded or not.
fn base64(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// Enum names of the OTLP enums.
fn enum_value(field: &str, name: &str) -> Option<u64> {
    const SEVERITY: [&str; 6] = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"];
    let table: &[(&str, u64)] = match field {
        "kind" => &[
            ("SPAN_KIND_UNSPECIFIED", 0),
            ("SPAN_KIND_INTERNAL", 1),
            ("SPAN_KIND_SERVER", 2),
            ("SPAN_KIND_CLIENT", 3),
            ("SPAN_KIND_PRODUCER", 4),
            ("SPAN_KIND_CONSUMER", 5),
        ],
        "code" => &[
            ("STATUS_CODE_UNSET", 0),
            ("STATUS_CODE_OK", 1),
            ("STATUS_CODE_ERROR", 2),
        ],
        "aggregation_temporality" => &[
            ("AGGREGATION_TEMPORALITY_UNSPECIFIED", 0),
            ("AGGREGATION_TEMPORALITY_DELTA", 1),
            ("AGGREGATION_TEMPORALITY_CUMULATIVE", 2),
        ],
        "severity_number" => {
            let rest = name.strip_prefix("SEVERITY_NUMBER_")?;
            if rest == "UNSPECIFIED" {
                return Some(0);
            }
            let level = rest.trim_end_matches(|c: char| c.is_ascii_digit());
            let n: u64 = match &rest[level.len()..] {
                "" => 1,
                d => d.parse().ok().filter(|n| (2..=4).contains(n))?,
            };
            let base = SEVERITY.iter().position(|s| *s == level)? as u64;
            return Some(base * 4 + n);
        }
        _ => &[],
    };
    table.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Signal;
    use crate::model::{Payload, Request, schema};

    fn decode(signal: Signal, json: &str) -> Request {
        let bytes = to_protobuf(json.as_bytes(), crate::model::request_schema(signal)).unwrap();
        Payload::from_wire(signal, bytes.into()).unwrap().decode().unwrap()
    }

    #[test]
    fn field_names_in_both_spellings() {
        assert!(camel_eq("time_unix_nano", "timeUnixNano"));
        assert!(camel_eq("time_unix_nano", "time_unix_nano"));
        assert!(!camel_eq("time_unix_nano", "timeUnixNanos"));
        assert!(!camel_eq("name", "nam"));
    }

    #[test]
    fn the_corners_pdata_accepts() {
        let Request::Metrics(m) = decode(
            Signal::Metrics,
            r#"{"resourceMetrics":[{"resource":{"attributes":[{"value":{}},{"key":"a","value":{"arrayValue":{}}},
               {"key":"k","value":{"kvlistValue":{}}},{"key":"d","value":{"doubleValue":"NaN"}}],
               "entityRefs":[{"type":"service","idKeys":["service.name"],"descriptionKeys":["a","b"]}]},
              "scopeMetrics":[{"metrics":[
               {"name":"g","gauge":{"dataPoints":[{"asInt":"1"},{"asDouble":"NaN"},{"asInt":"-7","timeUnixNano":"1700000000000000001"}]}},
               {"name":"e","exponentialHistogram":{"aggregationTemporality":"AGGREGATION_TEMPORALITY_DELTA","dataPoints":[
                 {"count":"3","scale":-2,"zeroThreshold":0.5,"positive":{"offset":-3,"bucketCounts":["1","2"]},"negative":{"bucketCounts":[1]}}]}},
               {"name":"h","histogram":{"dataPoints":[{"count":"2","bucketCounts":["1","1"],"explicitBounds":[1.5],
                 "exemplars":[{"asInt":"9","spanId":"0102030405060708","traceId":"0102030405060708090a0b0c0d0e0f10"}]}]}}
              ]}]}]}"#,
        ) else {
            unreachable!()
        };
        use opentelemetry_proto::tonic::common::v1::any_value::Value as V;
        use opentelemetry_proto::tonic::metrics::v1::{exemplar, metric::Data, number_data_point::Value as N};
        let res = m.resource_metrics[0].resource.as_ref().unwrap();
        assert_eq!(res.attributes[0].key, "");
        assert!(matches!(
            res.attributes[1].value.as_ref().unwrap().value,
            Some(V::ArrayValue(_))
        ));
        assert!(matches!(res.attributes[3].value.as_ref().unwrap().value, Some(V::DoubleValue(d)) if d.is_nan()));
        assert_eq!(res.entity_refs[0].r#type, "service");
        assert_eq!(res.entity_refs[0].description_keys, vec!["a", "b"]);
        let metrics = &m.resource_metrics[0].scope_metrics[0].metrics;
        let Some(Data::Gauge(g)) = &metrics[0].data else {
            unreachable!()
        };
        assert_eq!(g.data_points[0].value, Some(N::AsInt(1)));
        assert!(matches!(g.data_points[1].value, Some(N::AsDouble(d)) if d.to_bits() == GO_NAN_BITS));
        assert_eq!(g.data_points[2].value, Some(N::AsInt(-7)));
        assert_eq!(g.data_points[2].time_unix_nano, 1_700_000_000_000_000_001);
        let Some(Data::ExponentialHistogram(e)) = &metrics[1].data else {
            unreachable!()
        };
        assert_eq!(e.aggregation_temporality, 1);
        let p = &e.data_points[0];
        assert_eq!((p.count, p.scale, p.zero_threshold), (3, -2, 0.5));
        assert_eq!(p.positive.as_ref().unwrap().offset, -3);
        assert_eq!(p.positive.as_ref().unwrap().bucket_counts, vec![1, 2]);
        let Some(Data::Histogram(h)) = &metrics[2].data else {
            unreachable!()
        };
        assert_eq!(h.data_points[0].explicit_bounds, vec![1.5]);
        assert_eq!(h.data_points[0].exemplars[0].value, Some(exemplar::Value::AsInt(9)));
        assert_eq!(h.data_points[0].exemplars[0].span_id, vec![1, 2, 3, 4, 5, 6, 7, 8]);
    }

    #[test]
    fn spans_and_logs_with_enum_names_bytes_and_empty_bodies() {
        let Request::Traces(t) = decode(
            Signal::Traces,
            r#"{"resourceSpans":[{"scopeSpans":[{"scope":{"name":"s"},"spans":[{"traceId":"5b8efff798038103d269b633813fc60c",
              "spanId":"eee19b7ec3c1b174","name":"n","kind":"SPAN_KIND_SERVER","status":{"code":2},
              "links":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b173","traceState":"a=b"}]}]}]}]}"#,
        ) else {
            unreachable!()
        };
        let s = &t.resource_spans[0].scope_spans[0].spans[0];
        assert_eq!((s.kind, s.status.as_ref().unwrap().code), (2, 2));
        assert_eq!(s.links[0].trace_state, "a=b");
        let Request::Logs(l) = decode(
            Signal::Logs,
            r#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{}},{"body":{"bytesValue":"aGk="},"severityNumber":"SEVERITY_NUMBER_WARN2"}]}]}]}"#,
        ) else {
            unreachable!()
        };
        let recs = &l.resource_logs[0].scope_logs[0].log_records;
        assert!(recs[0].body.as_ref().unwrap().value.is_none());
        assert_eq!(recs[1].severity_number, 14);
        use opentelemetry_proto::tonic::common::v1::any_value::Value as V;
        assert_eq!(
            recs[1].body.as_ref().unwrap().value,
            Some(V::BytesValue(b"hi".to_vec()))
        );
    }

    #[test]
    fn bad_values_name_their_path() {
        let e = to_protobuf(
            br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"xyz"}]}]}]}"#,
            &schema::TRACES_REQUEST,
        )
        .unwrap_err();
        assert!(
            e.contains("ExportTraceServiceRequest.resourceSpans.scopeSpans.spans.traceId"),
            "{e}"
        );
        assert!(to_protobuf(b"[1]", &schema::TRACES_REQUEST).is_err());
    }
}
