//! Translation rules, Thrift decoding of hostile bytes, and the three
//! listeners end to end with a capturing pipeline.

mod thrift_writer;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, Span};
use otelcol_core::health::HealthState;
use otelcol_core::{
    ComponentId, Consumer, Payload, ProcessingError, Receiver, ReceiverHost, RequestContext, Signal, async_trait,
};
use prost::Message;

use crate::proto;
use crate::thrift_model::{self as thrift, decode_agent_call, decode_batch};
use crate::thrift_wire::Protocol;
use crate::translate;
use thrift_writer::Writer;

fn attr<'a>(kvs: &'a [opentelemetry_proto::tonic::common::v1::KeyValue], k: &str) -> Option<&'a Value> {
    kvs.iter()
        .find(|kv| kv.key == k)
        .and_then(|kv| kv.value.as_ref()?.value.as_ref())
}

fn stag(k: &str, v: &str) -> thrift::Tag {
    thrift::Tag {
        key: k.into(),
        v_type: thrift::TAG_STRING,
        v_str: Some(v.into()),
        ..Default::default()
    }
}

fn sample_thrift_batch() -> thrift::Batch {
    thrift::Batch {
        process: thrift::Process {
            service_name: "shop".into(),
            tags: Some(vec![stag("hostname", "h1"), stag("jaeger.version", "Go-2.30")]),
        },
        spans: vec![
            thrift::Span {
                trace_id_low: 2,
                trace_id_high: 1,
                span_id: 3,
                parent_span_id: 0,
                operation_name: "get".into(),
                references: Some(vec![
                    thrift::SpanRef {
                        ref_type: 0,
                        trace_id_low: 2,
                        trace_id_high: 1,
                        span_id: 9,
                    },
                    thrift::SpanRef {
                        ref_type: 1,
                        trace_id_low: 7,
                        trace_id_high: 0,
                        span_id: 8,
                    },
                ]),
                flags: 1,
                start_time: 1_000_000,
                duration: 5,
                tags: Some(vec![
                    stag("span.kind", "client"),
                    thrift::Tag {
                        key: "error".into(),
                        v_type: thrift::TAG_BOOL,
                        v_bool: Some(true),
                        ..Default::default()
                    },
                    stag("otel.status_description", "boom"),
                    thrift::Tag {
                        key: "http.response.status_code".into(),
                        v_type: thrift::TAG_LONG,
                        v_long: Some(503),
                        ..Default::default()
                    },
                    thrift::Tag {
                        key: "ratio".into(),
                        v_type: thrift::TAG_DOUBLE,
                        v_double: Some(0.5),
                        ..Default::default()
                    },
                    thrift::Tag {
                        key: "blob".into(),
                        v_type: thrift::TAG_BINARY,
                        v_binary: Some(vec![1, 2]),
                        ..Default::default()
                    },
                ]),
                logs: Some(vec![thrift::Log {
                    timestamp: 1_000_002,
                    fields: vec![stag("event", "retry"), stag("k", "v")],
                }]),
            },
            thrift::Span::default(),
        ],
    }
}

fn only_span(rs: &[ResourceSpans]) -> &Span {
    &rs[0].scope_spans[0].spans[0]
}

#[test]
fn thrift_spans_translate_as_the_contrib_translator_does() {
    let (rs, n) = translate::from_thrift(sample_thrift_batch());
    assert_eq!(n, 2);
    let res = rs[0].resource.as_ref().unwrap();
    assert_eq!(
        attr(&res.attributes, "service.name"),
        Some(&Value::StringValue("shop".into()))
    );
    assert_eq!(
        attr(&res.attributes, "host.name"),
        Some(&Value::StringValue("h1".into()))
    );
    assert_eq!(attr(&res.attributes, "hostname"), None);
    assert_eq!(
        attr(&res.attributes, "opencensus.exporterversion"),
        Some(&Value::StringValue("Jaeger-Go-2.30".into()))
    );
    // The blank span is dropped.
    assert_eq!(rs[0].scope_spans[0].spans.len(), 1);
    let s = only_span(&rs);
    assert_eq!(s.trace_id, [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2]);
    assert_eq!(s.span_id, 3u64.to_be_bytes());
    assert_eq!(
        s.parent_span_id,
        9u64.to_be_bytes(),
        "the same-trace CHILD_OF reference is the parent"
    );
    assert_eq!(
        (s.start_time_unix_nano, s.end_time_unix_nano),
        (1_000_000_000, 1_000_005_000)
    );
    assert_eq!(s.flags, 1);
    assert_eq!(s.kind, 3, "client");
    let st = s.status.as_ref().unwrap();
    assert_eq!((st.code, st.message.as_str()), (StatusCode::Error as i32, "boom"));
    assert_eq!(attr(&s.attributes, "http.status_code"), Some(&Value::IntValue(503)));
    for gone in [
        "span.kind",
        "error",
        "otel.status_description",
        "http.response.status_code",
    ] {
        assert_eq!(attr(&s.attributes, gone), None, "{gone}");
    }
    assert_eq!(attr(&s.attributes, "blob"), Some(&Value::BytesValue(vec![1, 2])));
    assert_eq!(s.events.len(), 1);
    assert_eq!(
        (s.events[0].name.as_str(), s.events[0].time_unix_nano),
        ("retry", 1_000_002_000)
    );
    assert_eq!(s.events[0].attributes.len(), 1);
    assert_eq!(s.links.len(), 1, "the parent reference is not also a link");
    assert_eq!(
        attr(&s.links[0].attributes, "opentracing.ref_type"),
        Some(&Value::StringValue("follows_from".into()))
    );
}

#[test]
fn otel_status_code_and_http_codes_set_status_when_error_is_absent() {
    let mk = |tags: Vec<thrift::Tag>| {
        let mut b = sample_thrift_batch();
        b.spans.truncate(1);
        b.spans[0].tags = Some(tags);
        let (rs, _) = translate::from_thrift(b);
        only_span(&rs).status.clone()
    };
    let ok = mk(vec![stag("otel.status_code", "ok")]).unwrap();
    assert_eq!(ok.code, StatusCode::Ok as i32);
    let long = |k: &str, v| thrift::Tag {
        key: k.into(),
        v_type: thrift::TAG_LONG,
        v_long: Some(v),
        ..Default::default()
    };
    // 404 on a server span leaves the status unset (and absent).
    assert_eq!(
        mk(vec![stag("span.kind", "server"), long("http.status_code", 404)]),
        None
    );
    assert_eq!(
        mk(vec![stag("span.kind", "client"), long("http.status_code", 404)])
            .unwrap()
            .code,
        StatusCode::Error as i32
    );
    assert_eq!(
        mk(vec![stag("http.status_code", "500")]).unwrap().code,
        StatusCode::Error as i32
    );
    assert_eq!(mk(vec![]), None);
}

fn pspan(trace: u64, span: u64, tags: Vec<proto::KeyValue>) -> proto::Span {
    proto::Span {
        trace_id: [0u64.to_be_bytes(), trace.to_be_bytes()].concat(),
        span_id: span.to_be_bytes().to_vec(),
        operation_name: format!("op{span}"),
        start_time: Some(proto::Timestamp { seconds: 10, nanos: 5 }),
        duration: Some(proto::Duration { seconds: 1, nanos: 0 }),
        tags,
        ..Default::default()
    }
}

fn pstr(k: &str, v: &str) -> proto::KeyValue {
    proto::KeyValue {
        key: k.into(),
        v_str: v.into(),
        ..Default::default()
    }
}

#[test]
fn proto_batches_are_regrouped_by_process_and_scope() {
    let process = |n: &str| proto::Process {
        service_name: n.into(),
        tags: vec![],
    };
    let mut own = pspan(
        1,
        2,
        vec![pstr("otel.scope.name", "lib"), pstr("otel.scope.version", "1.0")],
    );
    own.process = Some(process("other"));
    let b = proto::Batch {
        process: Some(process("main")),
        spans: vec![
            pspan(1, 1, vec![pstr("w3c.tracestate", "k=v")]),
            own,
            pspan(1, 3, vec![pstr("otel.scope.name", "lib")]),
        ],
    };
    let (rs, n) = translate::from_proto(b).unwrap();
    assert_eq!(n, 3);
    assert_eq!(rs.len(), 2);
    let svc = |r: &ResourceSpans| attr(&r.resource.as_ref().unwrap().attributes, "service.name").cloned();
    assert_eq!(svc(&rs[0]), Some(Value::StringValue("main".into())));
    assert_eq!(rs[0].scope_spans.len(), 2, "no scope, and lib without version");
    assert_eq!(rs[0].scope_spans[0].spans[0].trace_state, "k=v");
    assert_eq!(rs[0].scope_spans[0].spans[0].start_time_unix_nano, 10_000_000_005);
    assert_eq!(rs[0].scope_spans[0].spans[0].end_time_unix_nano, 11_000_000_005);
    assert_eq!(rs[0].scope_spans[1].scope.as_ref().unwrap().name, "lib");
    assert_eq!(svc(&rs[1]), Some(Value::StringValue("other".into())));
    let sc = rs[1].scope_spans[0].scope.as_ref().unwrap();
    assert_eq!((sc.name.as_str(), sc.version.as_str()), ("lib", "1.0"));
    assert!(rs[1].scope_spans[0].spans[0].attributes.is_empty());
}

#[test]
fn proto_ids_of_a_wrong_length_are_refused() {
    let mut s = pspan(1, 1, vec![]);
    s.span_id = vec![1, 2, 3];
    let err = translate::from_proto(proto::Batch {
        process: None,
        spans: vec![s],
    })
    .unwrap_err();
    assert!(err.0.contains("SpanID"), "{err:?}");
}

#[test]
fn thrift_batches_round_trip_through_both_protocols() {
    let b = sample_thrift_batch();
    for proto in [Protocol::Binary, Protocol::Compact] {
        let bytes = Writer::batch(proto, &b);
        assert_eq!(decode_batch(&bytes, proto).unwrap(), b, "{proto:?}");
        let call = Writer::emit_batch(proto, &b);
        match decode_agent_call(&call, proto).unwrap() {
            thrift::AgentCall::EmitBatch(Some(got)) => assert_eq!(got, b),
            _ => panic!("{proto:?}: not an emitBatch"),
        }
    }
}

#[test]
fn hostile_thrift_never_panics_and_is_refused() {
    let b = sample_thrift_batch();
    for proto in [Protocol::Binary, Protocol::Compact] {
        let call = Writer::emit_batch(proto, &b);
        // Every truncation is an error, never a panic.
        for n in 0..call.len() {
            assert!(decode_agent_call(&call[..n], proto).is_err(), "{proto:?} prefix {n}");
        }
        // Byte flips: any outcome but a panic; a deterministic pseudo-random walk.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let mut m = call.clone();
            let i = (x as usize) % m.len();
            m[i] = (x >> 32) as u8;
            let _ = decode_agent_call(&m, proto);
        }
    }
    // A required field missing is refused as Go refuses it.
    let mut no_spans = Vec::new();
    Writer::new(Protocol::Binary, &mut no_spans).struct_only_process(&b.process);
    assert!(
        decode_batch(&no_spans, Protocol::Binary)
            .unwrap_err()
            .0
            .contains("required field 2")
    );
}

// ---- end to end ----

#[derive(Default)]
struct Capture(Mutex<Vec<ExportTraceServiceRequest>>);

#[async_trait]
impl Consumer for Capture {
    async fn consume(&self, _: &RequestContext, p: Payload) -> Result<(), ProcessingError> {
        self.0
            .lock()
            .unwrap()
            .push(ExportTraceServiceRequest::decode(p.bytes().clone()).unwrap());
        Ok(())
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn wait_for(cap: &Capture, n: usize) {
    for _ in 0..200 {
        if cap.0.lock().unwrap().len() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("expected {n} batches, got {}", cap.0.lock().unwrap().len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_protocols_deliver_and_bad_input_is_refused_or_dropped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let grpc_sock = dir.path().join("g.sock");
    let http_port = free_port();
    let udp_port = free_udp_port();
    let yaml = format!(
        "protocols: {{grpc: {{endpoint: 'unix://{}'}}, thrift_http: {{endpoint: '127.0.0.1:{http_port}'}}, thrift_compact: {{endpoint: '127.0.0.1:{udp_port}', max_packet_size: 2000}}}}",
        grpc_sock.display()
    );
    let cfg = crate::config::parse(serde_yaml::from_str(&yaml).unwrap()).unwrap();
    let r = crate::JaegerReceiver::new(ComponentId::parse("jaeger").unwrap(), cfg);
    let cap = Arc::new(Capture::default());
    let health = HealthState::new().await;
    health.set_serving().await;
    let consumers: BTreeMap<Signal, Arc<dyn Consumer>> = [(Signal::Traces, cap.clone() as Arc<dyn Consumer>)].into();
    r.start(ReceiverHost { consumers, health }).await.unwrap();

    // UDP: one good datagram, one oversized, one garbage, one other method.
    let b = sample_thrift_batch();
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let to = format!("127.0.0.1:{udp_port}");
    sock.send_to(&Writer::emit_batch(Protocol::Compact, &b), &to).unwrap();
    sock.send_to(&vec![0u8; 3000], &to).unwrap();
    sock.send_to(&[0x82, 0x21, 0x00, 0x05, b'x'], &to).unwrap();
    sock.send_to(&Writer::call(Protocol::Compact, "emitZipkinBatch"), &to)
        .unwrap();
    wait_for(&cap, 1).await;

    // HTTP: good, wrong content type, malformed body, wrong path.
    let url = format!("http://127.0.0.1:{http_port}/api/traces");
    let post = |ct: &'static str, body: Vec<u8>, url: String| async move {
        let client = hyper_util_client();
        let req = http::Request::post(url)
            .header("content-type", ct)
            .body(http_body_util::Full::new(bytes::Bytes::from(body)))
            .unwrap();
        client.request(req).await.unwrap().status().as_u16()
    };
    assert_eq!(
        post("application/x-thrift", Writer::batch(Protocol::Binary, &b), url.clone()).await,
        202
    );
    assert_eq!(post("application/json", b"{}".to_vec(), url.clone()).await, 400);
    assert_eq!(
        post(
            "application/vnd.apache.thrift.binary",
            vec![0x0c, 0x00, 0x01, 0xff],
            url.clone()
        )
        .await,
        400
    );
    assert_eq!(
        post(
            "application/x-thrift",
            vec![],
            format!("http://127.0.0.1:{http_port}/v1/traces")
        )
        .await,
        404
    );

    // gRPC: PostSpans and health on the same unix socket.
    let channel =
        tonic::transport::Endpoint::from_static("http://localhost")
            .connect_with_connector(tower::service_fn(move |_| {
                let p = grpc_sock.clone();
                async move {
                    Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(tokio::net::UnixStream::connect(p).await?))
                }
            }))
            .await
            .unwrap();
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready().await.unwrap();
    let path = http::uri::PathAndQuery::from_static("/jaeger.api_v2.CollectorService/PostSpans");
    let req = proto::PostSpansRequest {
        batch: Some(proto::Batch {
            process: Some(proto::Process {
                service_name: "g".into(),
                tags: vec![],
            }),
            spans: vec![pspan(5, 6, vec![])],
        }),
    };
    let codec = tonic_prost::ProstCodec::<proto::PostSpansRequest, proto::PostSpansResponse>::default();
    grpc.unary(tonic::Request::new(req.clone()), path.clone(), codec)
        .await
        .unwrap();
    let mut bad = req;
    bad.batch.as_mut().unwrap().spans[0].trace_id = vec![1; 5];
    let codec = tonic_prost::ProstCodec::<proto::PostSpansRequest, proto::PostSpansResponse>::default();
    grpc.ready().await.unwrap();
    let err = grpc.unary(tonic::Request::new(bad), path, codec).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    let mut h = tonic_health_client(channel);
    let status = h
        .check(tonic_health::pb::HealthCheckRequest { service: String::new() })
        .await
        .unwrap();
    assert_eq!(status.into_inner().status, 1, "SERVING");

    wait_for(&cap, 3).await;
    let got = cap.0.lock().unwrap().clone();
    let spans: usize = got
        .iter()
        .flat_map(|r| &r.resource_spans)
        .flat_map(|r| &r.scope_spans)
        .map(|s| s.spans.len())
        .sum();
    assert_eq!(spans, 3, "one per protocol (blank spans dropped)");
    r.shutdown().await;
    let s = r.stats();
    assert_eq!(s.accepted_spans, 3);
    assert_eq!(s.dropped_packets, 3, "oversized, garbage, emitZipkinBatch");
    assert_eq!(s.refused_requests, 3, "content type, body, ids");
}

fn hyper_util_client() -> hyper_util::client::legacy::Client<
    hyper_util::client::legacy::connect::HttpConnector,
    http_body_util::Full<bytes::Bytes>,
> {
    hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http()
}

fn tonic_health_client(
    channel: tonic::transport::Channel,
) -> tonic_health::pb::health_client::HealthClient<tonic::transport::Channel> {
    tonic_health::pb::health_client::HealthClient::new(channel)
}
