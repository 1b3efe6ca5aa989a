//! The wire path against the owned path: for generated requests, validating,
//! counting and dropping items on the bytes must give exactly what decoding,
//! filtering the prost structs and encoding gives. And no byte string, however
//! hostile, may panic the walkers.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;

use super::testdata::{Rng, logs_request, metrics_request, traces_request};
use super::*;

fn point_count(m: &opentelemetry_proto::tonic::metrics::v1::Metric) -> usize {
    use opentelemetry_proto::tonic::metrics::v1::metric::Data;
    match &m.data {
        Some(Data::Gauge(g)) => g.data_points.len(),
        Some(Data::Sum(s)) => s.data_points.len(),
        Some(Data::Histogram(h)) => h.data_points.len(),
        Some(Data::ExponentialHistogram(h)) => h.data_points.len(),
        Some(Data::Summary(s)) => s.data_points.len(),
        None => 0,
    }
}

/// The owned filter every wire edit is compared with.
fn owned_filter(r: &mut Request, drop: &dyn Fn(&str) -> bool) {
    match r {
        Request::Metrics(r) => r.resource_metrics.retain_mut(|rm| {
            rm.scope_metrics.retain_mut(|sm| {
                sm.metrics.retain(|m| !drop(&m.name));
                !sm.metrics.is_empty()
            });
            !rm.scope_metrics.is_empty()
        }),
        Request::Traces(r) => r.resource_spans.retain_mut(|rs| {
            rs.scope_spans.retain_mut(|ss| {
                ss.spans.retain(|s| !drop(&s.name));
                !ss.spans.is_empty()
            });
            !rs.scope_spans.is_empty()
        }),
        Request::Logs(r) => r.resource_logs.retain_mut(|rl| {
            rl.scope_logs.retain_mut(|sl| {
                sl.log_records.retain(|l| !drop(&l.event_name));
                !sl.log_records.is_empty()
            });
            !rl.scope_logs.is_empty()
        }),
    }
}

fn owned_items(r: &Request) -> usize {
    match r {
        Request::Traces(r) => r
            .resource_spans
            .iter()
            .flat_map(|x| &x.scope_spans)
            .map(|s| s.spans.len())
            .sum(),
        Request::Metrics(r) => r
            .resource_metrics
            .iter()
            .flat_map(|x| &x.scope_metrics)
            .flat_map(|s| &s.metrics)
            .map(point_count)
            .sum(),
        Request::Logs(r) => r
            .resource_logs
            .iter()
            .flat_map(|x| &x.scope_logs)
            .map(|s| s.log_records.len())
            .sum(),
    }
}

fn is_empty(r: &Request) -> bool {
    match r {
        Request::Traces(r) => r.resource_spans.is_empty(),
        Request::Metrics(r) => r.resource_metrics.is_empty(),
        Request::Logs(r) => r.resource_logs.is_empty(),
    }
}

fn generated(rng: &mut Rng) -> Request {
    match rng.below(3) {
        0 => Request::Traces(traces_request(rng)),
        1 => Request::Metrics(metrics_request(rng)),
        _ => Request::Logs(logs_request(rng)),
    }
}

#[test]
fn wire_edit_equals_decode_filter_encode() {
    let mut rng = Rng::new(0x5eed);
    let mut edited = 0;
    for round in 0..600 {
        let owned = generated(&mut rng);
        let signal = owned.signal();
        let payload = Payload::from(owned.clone());
        let wire = Payload::from_wire(signal, payload.bytes().clone()).expect("generated requests are valid");
        assert_eq!(wire.item_count(), owned_items(&owned), "round {round}: item count");

        // Drop names by a rule the generator hits about a third of the time.
        let drop = |name: &str| name.len() % 3 == 1;
        let mut expected = owned.clone();
        owned_filter(&mut expected, &drop);
        let got = wire.retain(|item| !drop(item.name()));
        match got {
            None => assert!(
                is_empty(&expected),
                "round {round}: wire dropped everything, owned kept some"
            ),
            Some(p) => {
                assert!(
                    !is_empty(&expected),
                    "round {round}: wire kept something, owned nothing"
                );
                let decoded = p.decode().unwrap();
                assert_eq!(decoded, expected, "round {round}: items differ");
                assert_eq!(
                    p.item_count(),
                    owned_items(&expected),
                    "round {round}: count after edit"
                );
                if p.bytes() != payload.bytes() {
                    edited += 1;
                    // An edit writes what prost would have written.
                    let reencoded = match &expected {
                        Request::Traces(r) => r.encode_to_vec(),
                        Request::Metrics(r) => r.encode_to_vec(),
                        Request::Logs(r) => r.encode_to_vec(),
                    };
                    assert_eq!(
                        p.bytes().as_ref(),
                        reencoded.as_slice(),
                        "round {round}: bytes differ from prost"
                    );
                }
            }
        }
    }
    assert!(edited > 100, "the generator must exercise real edits, got {edited}");
}

#[test]
fn keeping_everything_keeps_the_bytes() {
    let mut rng = Rng::new(7);
    for _ in 0..50 {
        let p = Payload::from(metrics_request(&mut rng));
        let has_empty = p
            .resources()
            .any(|r| r.scopes().next().is_none() || r.scopes().any(|s| s.items().next().is_none()));
        let before = p.bytes().clone();
        match p.retain(|_| true) {
            Some(after) if !has_empty => {
                assert_eq!(after.bytes().as_ptr(), before.as_ptr(), "no copy when nothing changes")
            }
            _ => {}
        }
    }
}

#[test]
fn views_read_what_prost_decodes() {
    let mut rng = Rng::new(99);
    for _ in 0..100 {
        let r = traces_request(&mut rng);
        let p = Payload::from(r.clone());
        let mut names = vec![];
        for rs in &r.resource_spans {
            for ss in &rs.scope_spans {
                for s in &ss.spans {
                    names.push((
                        s.name.clone(),
                        s.trace_id.clone(),
                        s.start_time_unix_nano,
                        s.attributes.len(),
                    ));
                }
            }
        }
        let got: Vec<_> = p
            .items()
            .map(|i| {
                let s = i.as_span().unwrap();
                (
                    s.name().to_string(),
                    s.trace_id().to_vec(),
                    s.start_time_unix_nano(),
                    s.attributes().iter().count(),
                )
            })
            .collect();
        assert_eq!(got, names);
        let urls: Vec<_> = r.resource_spans.iter().map(|x| x.schema_url.clone()).collect();
        let got: Vec<_> = p.resources().map(|x| x.schema_url().to_string()).collect();
        assert_eq!(got, urls);
    }
    let mut rng = Rng::new(5);
    let r = logs_request(&mut rng);
    let p = Payload::from(r.clone());
    let bodies: Vec<Option<String>> = r
        .resource_logs
        .iter()
        .flat_map(|x| &x.scope_logs)
        .flat_map(|s| &s.log_records)
        .map(|l| match l.body.as_ref().and_then(|b| b.value.as_ref()) {
            Some(opentelemetry_proto::tonic::common::v1::any_value::Value::StringValue(s)) => Some(s.clone()),
            _ => None,
        })
        .collect();
    let got: Vec<_> = p
        .items()
        .map(|i| i.as_log().unwrap().body().and_then(|b| b.as_str()).map(String::from))
        .collect();
    assert_eq!(got, bodies);
}

#[test]
fn invalid_bodies_are_refused_with_a_reason() {
    use super::wire::{put_len_header, put_varint};
    // Invalid UTF-8 in a span name.
    let mut span = vec![];
    put_len_header(&mut span, 5, 2);
    span.extend_from_slice(&[0xff, 0xfe]);
    let mut scope = vec![];
    put_len_header(&mut scope, 2, span.len());
    scope.extend_from_slice(&span);
    let mut rs = vec![];
    put_len_header(&mut rs, 2, scope.len());
    rs.extend_from_slice(&scope);
    let mut req = vec![];
    put_len_header(&mut req, 1, rs.len());
    req.extend_from_slice(&rs);
    let e = Payload::from_wire(Signal::Traces, req.into()).unwrap_err();
    assert_eq!((e.message, e.field, e.what), ("Span", "name", "invalid UTF-8"), "{e}");

    // A trace id of 3 bytes.
    let mut span = vec![];
    put_len_header(&mut span, 1, 3);
    span.extend_from_slice(b"abc");
    let mut req = nest(&span, &[2, 2, 1]);
    let e = Payload::from_wire(Signal::Traces, std::mem::take(&mut req).into()).unwrap_err();
    assert_eq!(e.what, "id of the wrong length", "{e}");

    // A string where a message belongs.
    let mut req = vec![0x08];
    put_varint(&mut req, 5); // request.1 as a varint
    assert_eq!(
        Payload::from_wire(Signal::Logs, req.into()).unwrap_err().what,
        "wrong wire type"
    );

    // AnyValue nested 200 deep.
    let mut v: Vec<u8> = vec![];
    for _ in 0..200 {
        let mut arr = vec![];
        put_len_header(&mut arr, 1, v.len()); // ArrayValue.values
        arr.extend_from_slice(&v);
        let mut any = vec![];
        put_len_header(&mut any, 5, arr.len()); // AnyValue.array_value
        any.extend_from_slice(&arr);
        v = any;
    }
    let mut log = vec![];
    put_len_header(&mut log, 5, v.len());
    log.extend_from_slice(&v);
    let req = nest(&log, &[2, 2, 1]);
    let e = Payload::from_wire(Signal::Logs, req.into()).unwrap_err();
    assert_eq!(e.what, "messages nested too deeply", "{e}");
}

/// Wraps `inner` in length-delimited fields, innermost number first.
fn nest(inner: &[u8], numbers: &[u32]) -> Vec<u8> {
    let mut cur = inner.to_vec();
    for &n in numbers {
        let mut out = vec![];
        super::wire::put_len_header(&mut out, n, cur.len());
        out.extend_from_slice(&cur);
        cur = out;
    }
    cur
}

/// Mutated and truncated requests: the walkers must never panic, and whatever
/// the validator accepts must also be what prost accepts (prost may accept
/// more: it does not check id lengths).
#[test]
fn mutated_bodies_never_panic_and_agree_with_prost() {
    let mut rng = Rng::new(0xf022);
    let mut refused = 0;
    for _ in 0..3000 {
        let owned = generated(&mut rng);
        let signal = owned.signal();
        let mut bytes = Payload::from(owned).into_bytes().to_vec();
        if bytes.is_empty() {
            continue;
        }
        match rng.below(4) {
            0 => {
                let i = rng.below(bytes.len());
                bytes[i] ^= 1 << rng.below(8);
            }
            1 => bytes.truncate(rng.below(bytes.len())),
            2 => {
                let i = rng.below(bytes.len());
                bytes[i] = 0xff;
            }
            _ => {
                let i = rng.below(bytes.len());
                bytes.insert(i, rng.below(256) as u8);
            }
        }
        let accepted = Payload::from_wire(signal, bytes.clone().into());
        let prost_ok = match signal {
            Signal::Traces => ExportTraceServiceRequest::decode(bytes.as_slice()).is_ok(),
            Signal::Metrics => ExportMetricsServiceRequest::decode(bytes.as_slice()).is_ok(),
            Signal::Logs => ExportLogsServiceRequest::decode(bytes.as_slice()).is_ok(),
        };
        match accepted {
            Ok(p) => {
                assert!(prost_ok, "accepted what prost refuses: {bytes:02x?}");
                // Views and edits over accepted bytes work.
                let n: usize = p.items().map(|i| i.item_count()).sum();
                assert_eq!(n, p.item_count());
                let mut flip = false;
                if let Some(q) = p.retain(|_| {
                    flip = !flip;
                    flip
                }) {
                    q.decode().expect("an edit of a valid request decodes");
                }
            }
            Err(_) => refused += 1,
        }
    }
    assert!(refused > 300, "mutations should often be refused, got {refused}");
}

#[test]
fn a_validated_senders_request_is_counted_like_a_full_validation() {
    let mut rng = Rng::new(0xb41d);
    for round in 0..400 {
        let owned = generated(&mut rng);
        let signal = owned.signal();
        let bytes = Payload::from(owned).into_bytes();
        let full = Payload::from_wire(signal, bytes.clone()).expect("generated requests are valid");
        let counted = Payload::from_validated_sender(signal, bytes).expect("generated requests are framed");
        assert_eq!(counted.item_count(), full.item_count(), "round {round}");
    }
}

#[test]
fn a_validated_sender_may_send_invalid_utf8_inside_items_as_go_does() {
    // A log record whose body string is not UTF-8: Go's decoder takes it, so
    // the Go half forwards it, and the bridge must not refuse it.
    let body = [0xff, 0xfe, b'x'];
    let mut any = vec![];
    super::wire::put_len_header(&mut any, 1, body.len());
    any.extend_from_slice(&body);
    let mut record = vec![];
    super::wire::put_len_header(&mut record, 5, any.len());
    record.extend_from_slice(&any);
    let req = nest(&record, &[2, 2, 1]); // log_records in scope_logs in resource_logs
    assert!(
        Payload::from_wire(Signal::Logs, req.clone().into()).is_err(),
        "a client's invalid UTF-8 is refused"
    );
    let p = Payload::from_validated_sender(Signal::Logs, req.into()).expect("the Go half's request is kept");
    assert_eq!(p.item_count(), 1);
    assert_eq!(p.items().count(), 1);
}

#[test]
fn mutated_bodies_from_a_validated_sender_never_panic() {
    let mut rng = Rng::new(0x7a11);
    for _ in 0..3000 {
        let owned = generated(&mut rng);
        let signal = owned.signal();
        let mut bytes = Payload::from(owned).into_bytes().to_vec();
        if bytes.is_empty() {
            continue;
        }
        let i = rng.below(bytes.len());
        match rng.below(3) {
            0 => bytes[i] ^= 1 << rng.below(8),
            1 => bytes.truncate(i),
            _ => bytes.insert(i, rng.below(256) as u8),
        }
        if let Ok(p) = Payload::from_validated_sender(signal, bytes.into()) {
            // Views and edits over unchecked item contents stay in bounds.
            let _: usize = p.items().map(|i| i.item_count() + i.name().len()).sum();
            let mut flip = false;
            let _ = p.retain(|_| {
                flip = !flip;
                flip
            });
        }
    }
}
