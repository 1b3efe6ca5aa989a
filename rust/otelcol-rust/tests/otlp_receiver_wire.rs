//! The OTLP receiver of the real binary, on the wire: OTLP/HTTP as the Go
//! receiver serves it (protobuf, JSON, gzip, paths, errors, include_metadata),
//! and hostile gRPC bodies that must be refused with InvalidArgument or
//! ResourceExhausted while the same process keeps serving.

mod common;

use std::io::Write;
use std::path::Path;

use bytes::{Buf, BufMut, Bytes};
use common::*;
use http::uri::PathAndQuery;
use prost::Message;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::{Code, Status};
use tonic_health::pb::health_check_response::ServingStatus;

fn config(d: &Path) -> String {
    format!(
        r#"
receivers:
  otlp/in:
    protocols:
      grpc:
        endpoint: unix://{d}/in.sock
        max_recv_msg_size_mib: 1
      http:
        endpoint: 127.0.0.1:0
        include_metadata: true
        metrics_url_path: /custom/metrics
processors:
  advanced_filter:
    drop_metrics: [up]
exporters:
  otlp_rust/backend:
    endpoint: unix://{d}/backend.sock
    forward_metadata: [x-tenant]
    # Answers after delivery: the test reads the backend right after each call.
    sending_queue: {{wait_for_result: true}}
service:
  pipelines:
    metrics:
      receivers: [otlp/in]
      processors: [advanced_filter]
      exporters: [otlp_rust/backend]
"#,
        d = d.display()
    )
}

/// One HTTP/1.1 exchange on a fresh connection; returns status, headers and body.
async fn post(addr: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, String, Vec<u8>) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete response");
    let head = String::from_utf8_lossy(&out[..split]).to_string();
    let status: u16 = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, head, out[split + 4..].to_vec())
}

fn gzip(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn otlp_http_protobuf_json_gzip_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let backend = Backend::start(dir.path().join("backend.sock")).await;
    let col = Collector::spawn(&config(dir.path()), dir.path(), &[]);
    let line = col
        .wait_log("http listening", |v| {
            v["fields"]["protocol"] == "http" || v["protocol"] == "http"
        })
        .await;
    let endpoint = line["fields"]["endpoint"]
        .as_str()
        .or(line["endpoint"].as_str())
        .expect("the listening line names the endpoint")
        .trim_start_matches("tcp://")
        .to_string();

    let pb = metrics(&[("up", 2), ("requests_total", 3)]).encode_to_vec();
    let (status, head, body) = post(
        &endpoint,
        "/custom/metrics",
        &[("Content-Type", "application/x-protobuf"), ("X-Tenant", "acme")],
        &pb,
    )
    .await;
    assert_eq!(status, 200, "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/x-protobuf"),
        "{head}"
    );
    assert!(body.is_empty(), "an empty ExportMetricsServiceResponse");
    assert_eq!(points_by_name(&backend.received_metrics())["requests_total"], 3);
    assert!(!points_by_name(&backend.received_metrics()).contains_key("up"));
    {
        let got = backend.state.metrics.lock().unwrap();
        assert_eq!(
            got[0].0.get("x-tenant").unwrap(),
            "acme",
            "include_metadata puts headers in the context"
        );
    }

    let (status, head, _) = post(
        &endpoint,
        "/custom/metrics",
        &[("Content-Type", "application/x-protobuf"), ("Content-Encoding", "gzip")],
        &gzip(&metrics(&[("gzipped", 4)]).encode_to_vec()),
    )
    .await;
    assert_eq!(status, 200, "{head}");
    assert_eq!(points_by_name(&backend.received_metrics())["gzipped"], 4);

    let json = br#"{"resourceMetrics":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"j"}}]},"scopeMetrics":[{"metrics":[{"name":"from_json","sum":{"dataPoints":[{"asInt":"5","timeUnixNano":"1700000000000000000"},{"asDouble":1.5}],"aggregationTemporality":2,"isMonotonic":true}}]}]}]}"#;
    let (status, head, body) = post(
        &endpoint,
        "/custom/metrics",
        &[("Content-Type", "application/json")],
        json,
    )
    .await;
    assert_eq!(status, 200, "{head}");
    assert_eq!(body, b"{}");
    assert_eq!(points_by_name(&backend.received_metrics())["from_json"], 2);

    // The Go receiver's answers to the wrong path, method, media type, body.
    assert_eq!(
        post(&endpoint, "/v1/metrics", &[("Content-Type", "application/json")], b"{}")
            .await
            .0,
        404,
        "only the configured path"
    );
    let (status, _, _) = post(&endpoint, "/custom/metrics", &[("Content-Type", "text/plain")], b"x").await;
    assert_eq!(status, 415);
    let (status, _, body) = post(
        &endpoint,
        "/custom/metrics",
        &[("Content-Type", "application/x-protobuf")],
        &[0x0a, 0xff, 0x01],
    )
    .await;
    assert_eq!(status, 400);
    let st = tonic_types::pb::Status::decode(body.as_slice()).expect("a google.rpc.Status body");
    assert_eq!(st.code, Code::InvalidArgument as i32);
    assert!(st.message.contains("invalid OTLP metrics request"), "{}", st.message);
    let (status, _, body) = post(
        &endpoint,
        "/custom/metrics",
        &[("Content-Type", "application/json")],
        b"{\"resourceMetrics\": 5}",
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        String::from_utf8_lossy(&body).contains("\"code\":3"),
        "{}",
        String::from_utf8_lossy(&body)
    );
    // A gzip bomb is bounded: 64 MiB of zeros compressed to a few KiB.
    let bomb = gzip(&vec![0u8; 64 << 20]);
    let (status, _, _) = post(
        &endpoint,
        "/custom/metrics",
        &[("Content-Type", "application/x-protobuf"), ("Content-Encoding", "gzip")],
        &bomb,
    )
    .await;
    assert_eq!(status, 400);

    // Still serving, same process.
    let (status, _, _) = post(
        &endpoint,
        "/custom/metrics",
        &[("Content-Type", "application/x-protobuf")],
        &metrics(&[("after", 1)]).encode_to_vec(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(points_by_name(&backend.received_metrics())["after"], 1);
}

/// Sends any bytes as an ExportMetricsServiceRequest body.
#[derive(Clone, Default)]
struct RawCodec;

struct RawEnc;
struct EmptyDec;

impl Codec for RawCodec {
    type Encode = Bytes;
    type Decode = ();
    type Encoder = RawEnc;
    type Decoder = EmptyDec;
    fn encoder(&mut self) -> RawEnc {
        RawEnc
    }
    fn decoder(&mut self) -> EmptyDec {
        EmptyDec
    }
}

impl Encoder for RawEnc {
    type Item = Bytes;
    type Error = Status;
    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put(item);
        Ok(())
    }
}

impl Decoder for EmptyDec {
    type Item = ();
    type Error = Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<()>, Status> {
        src.advance(src.remaining());
        Ok(Some(()))
    }
}

async fn send_raw(sock: &Path, body: Vec<u8>) -> Result<(), Status> {
    let mut grpc = tonic::client::Grpc::new(channel(sock)).max_encoding_message_size(64 << 20);
    grpc.ready().await.map_err(|e| Status::unavailable(e.to_string()))?;
    grpc.unary(
        tonic::Request::new(Bytes::from(body)),
        PathAndQuery::from_static("/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"),
        RawCodec,
    )
    .await
    .map(|_| ())
}

fn len_field(n: u32, v: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    otelcol_core::model::wire::put_len_header(&mut out, n, v.len());
    out.extend_from_slice(v);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_grpc_bodies_are_refused_and_the_receiver_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let backend = Backend::start(dir.path().join("backend.sock")).await;
    let mut col = Collector::spawn(&config(dir.path()), dir.path(), &[]);
    let sock = dir.path().join("in.sock");
    wait_health(&sock, ServingStatus::Serving, &col).await;
    let pid = col.pid();

    let valid = metrics(&[("ok", 2)]).encode_to_vec();
    let mut truncated = valid.clone();
    truncated.truncate(valid.len() - 3);
    let bad_utf8 = len_field(1, &len_field(2, &len_field(2, &len_field(1, &[0xc3, 0x28]))));
    // KeyValueList/ArrayValue nesting 150 deep inside a resource attribute.
    let mut v = Vec::new();
    for _ in 0..150 {
        v = len_field(5, &len_field(1, &v));
    }
    let deep = len_field(1, &len_field(1, &len_field(1, &len_field(2, &v))));
    let cases: Vec<(&str, Vec<u8>, Code)> = vec![
        ("truncated", truncated, Code::InvalidArgument),
        ("invalid UTF-8 metric name", bad_utf8, Code::InvalidArgument),
        ("nested 150 deep", deep, Code::InvalidArgument),
        ("a group wire type", vec![0x0b, 0x0c], Code::InvalidArgument),
        (
            "a length past the end",
            vec![0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f],
            Code::InvalidArgument,
        ),
        (
            "over max_recv_msg_size_mib",
            vec![0u8; 2 << 20],
            Code::ResourceExhausted,
        ),
    ];
    for (what, body, want) in cases {
        let err = send_raw(&sock, body).await.expect_err(what);
        assert_eq!(err.code(), want, "{what}: {err:?}");
    }
    assert_eq!(backend.calls(), 0, "nothing invalid reached the backend");

    send_raw(&sock, valid)
        .await
        .expect("a valid request after the hostile ones");
    assert_eq!(points_by_name(&backend.received_metrics())["ok"], 2);
    assert_eq!(col.pid(), pid);
    assert!(
        col.child.try_wait().unwrap().is_none(),
        "the collector is still running"
    );
}
