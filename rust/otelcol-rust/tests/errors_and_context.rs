//! ProcessingError → gRPC status over the wire (driven by the `fault`
//! processor), deadline and cancellation, and bad input on the wire.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceResponse;
use tonic::{Code, Request};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_types::StatusExt;

const FAULTS: &[(&str, &str)] = &[
    ("permanent", "{error: permanent}"),
    ("retryable", "{error: retryable}"),
    ("cancelled", "{error: cancelled}"),
    ("timeout", "{error: timeout}"),
    ("exhausted", "{error: resource_exhausted, retry_after: 2s}"),
    ("configuration", "{error: configuration}"),
    ("nth", "{error: retryable, every_nth: 3}"),
    ("selected", "{error: permanent, metric_names: [\"bad_*\"]}"),
    ("slow", "{delay: 60s}"),
];

fn config(dir: &Path) -> String {
    let d = dir.display();
    let mut receivers = String::new();
    let mut processors = String::new();
    let mut pipelines = String::new();
    for (name, fault) in FAULTS {
        receivers += &format!(
            "  otlp/{name}:\n    protocols: {{grpc: {{endpoint: unix://{d}/{name}.sock, max_recv_msg_size_mib: 1}}}}\n"
        );
        processors += &format!("  fault/{name}: {fault}\n");
        pipelines += &format!(
            "    metrics/{name}:\n      receivers: [otlp/{name}]\n      processors: [fault/{name}]\n      exporters: [debug]\n"
        );
    }
    format!(
        "receivers:\n{receivers}processors:\n{processors}exporters:\n  debug:\nservice:\n  telemetry: {{logs: {{level: debug}}}}\n  pipelines:\n{pipelines}"
    )
}

async fn start(dir: &Path) -> Collector {
    let col = Collector::spawn(&config(dir), dir, &[]);
    for (name, _) in FAULTS {
        wait_health(&dir.join(format!("{name}.sock")), ServingStatus::Serving, &col).await;
    }
    col
}

async fn send(
    dir: &Path,
    receiver: &str,
    names: &[(&str, usize)],
) -> Result<ExportMetricsServiceResponse, tonic::Status> {
    metrics_client(&dir.join(format!("{receiver}.sock")))
        .export(metrics(names))
        .await
        .map(|r| r.into_inner())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_deadlines_cancellation_and_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let col = start(dir.path()).await;
    let d = dir.path();

    // Every ProcessingError variant reaches the caller as its gRPC code.
    for (receiver, code) in [
        ("permanent", Code::Internal),
        ("retryable", Code::Unavailable),
        ("cancelled", Code::Cancelled),
        ("timeout", Code::DeadlineExceeded),
        ("exhausted", Code::ResourceExhausted),
        ("configuration", Code::InvalidArgument),
    ] {
        let st = send(d, receiver, &[("m", 1)]).await.expect_err(receiver);
        assert_eq!(st.code(), code, "{receiver}: {st:?}");
        let retry = st.get_details_retry_info();
        if receiver == "exhausted" {
            assert_eq!(retry.expect("RetryInfo").retry_delay, Some(Duration::from_secs(2)));
        } else {
            assert!(retry.is_none(), "{receiver} carries no RetryInfo");
        }
    }

    // every_nth: 3 fails exactly the 3rd and 6th requests.
    let outcomes: Vec<bool> = {
        let mut v = vec![];
        for _ in 0..6 {
            v.push(send(d, "nth", &[("m", 1)]).await.is_ok());
        }
        v
    };
    assert_eq!(outcomes, [true, true, false, true, true, false]);

    // Selectors: only batches containing a matching item fail.
    send(d, "selected", &[("good", 1)]).await.expect("no matching metric");
    assert_eq!(
        send(d, "selected", &[("good", 1), ("bad_x", 1)])
            .await
            .unwrap_err()
            .code(),
        Code::Internal
    );

    // Deadline: the pipeline enforces grpc-timeout and answers DeadlineExceeded long
    // before the 60s delay. tonic's client enforces the same timeout and may
    // report its own expiry first (as Cancelled "Timeout expired"), so the
    // server's verdict is read from its log line for this request.
    let deadline_trace = "1af7651916cd43dd8448eb211c80319c";
    let started = Instant::now();
    let mut req = Request::new(metrics(&[("m", 1)]));
    req.set_timeout(Duration::from_millis(300));
    req.metadata_mut().insert(
        "traceparent",
        format!("00-{deadline_trace}-b7ad6b7169203331-01").parse().unwrap(),
    );
    let st = metrics_client(&d.join("slow.sock"))
        .export(req)
        .await
        .expect_err("deadline");
    assert!(
        st.code() == Code::DeadlineExceeded || (st.code() == Code::Cancelled && st.message() == "Timeout expired"),
        "{st:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(20));
    let line = col
        .wait_log("server-side deadline verdict", |v| {
            v["message"] == "request failed" && v["span"]["trace_id"] == deadline_trace
        })
        .await;
    assert_eq!(line["code"], "DeadlineExceeded", "{line}");

    // Cancellation: dropping the call fires the request's token; the log line of
    // the interrupted delay carries the request's trace_id.
    let trace_id = "0af7651916cd43dd8448eb211c80319c";
    let mut req = Request::new(metrics(&[("m", 1)]));
    req.metadata_mut().insert(
        "traceparent",
        format!("00-{trace_id}-b7ad6b7169203331-01").parse().unwrap(),
    );
    let slow = d.join("slow.sock");
    let call = tokio::spawn(async move { metrics_client(&slow).export(req).await });
    col.wait_log("delay started for the traced request", |v| {
        v["message"] == "fault: delaying request" && v["span"]["trace_id"] == trace_id
    })
    .await;
    call.abort();
    let line = col
        .wait_log("delay interrupted by the cancel", |v| {
            v["message"] == "fault: delay interrupted" && v["span"]["trace_id"] == trace_id
        })
        .await;
    assert!(line["error"].as_str().unwrap().starts_with("cancelled"), "{line}");

    // Malformed protobuf → InvalidArgument; the receiver keeps serving.
    let st = send_raw(&d.join("slow.sock"), vec![0x0a, 0x05, 0xff, 0xff, 0xff, 0xff, 0xff])
        .await
        .unwrap_err();
    assert_eq!(st.code(), Code::InvalidArgument, "{st:?}");
    // Oversized (limit 1 MiB) → ResourceExhausted; still serving.
    let big = "x".repeat(2 << 20);
    let st = send(d, "selected", &[(big.as_str(), 1)]).await.unwrap_err();
    assert_eq!(st.code(), Code::ResourceExhausted, "{st:?}");
    send(d, "selected", &[("good", 1)])
        .await
        .expect("still serving after bad input");
}

/// Sends arbitrary bytes as the body of MetricsService/Export.
async fn send_raw(sock: &Path, body: Vec<u8>) -> Result<(), tonic::Status> {
    #[derive(Clone, PartialEq, prost::Message)]
    struct Raw {
        #[prost(bytes = "vec", tag = "1")]
        b: Vec<u8>,
    }
    // Field 1 with our bytes: the receiver parses them as a ResourceMetrics.
    let raw = Raw { b: body[2..].to_vec() };
    let mut grpc = tonic::client::Grpc::new(channel(sock));
    grpc.ready()
        .await
        .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
    let codec: tonic_prost::ProstCodec<Raw, ExportMetricsServiceResponse> = tonic_prost::ProstCodec::default();
    let path = http::uri::PathAndQuery::from_static("/opentelemetry.proto.collector.metrics.v1.MetricsService/Export");
    grpc.unary(Request::new(raw), path, codec).await.map(|_| ())
}
