use std::sync::Arc;
use std::sync::atomic::Ordering::SeqCst;
use std::time::Duration;

use async_trait::async_trait;
use prost::Message;

use super::counted::CountedReceiver;
use super::snapshot::AttrValue;
use super::*;
use crate::component::{Consumer, Exporter, Processor, consumer_for_transport};
use crate::context::RequestContext;
use crate::error::ProcessingError;
use crate::model::Payload;
use crate::model::testdata::{Rng, logs_request};
use crate::pipeline::{ExporterCount, Pipeline, PipelineCounts};

/// Keeps every other item.
struct HalfFilter;

#[async_trait]
impl Processor for HalfFilter {
    async fn process(&self, _: &RequestContext, data: Payload) -> Result<Option<Payload>, ProcessingError> {
        let mut keep = false;
        Ok(data.retain(|_| {
            keep = !keep;
            keep
        }))
    }
}

/// Fails the first `fail` calls with Unavailable, then succeeds.
struct Flaky(std::sync::atomic::AtomicUsize);

#[async_trait]
impl Exporter for Flaky {
    async fn export(&self, _: &RequestContext, _: Payload) -> Result<(), ProcessingError> {
        if self.0.fetch_update(SeqCst, SeqCst, |left| left.checked_sub(1)).is_ok() {
            return Err(ProcessingError::from_status(&tonic::Status::unavailable(
                "backend down",
            )));
        }
        Ok(())
    }
}

fn id(s: &str) -> ComponentId {
    ComponentId::parse(s).unwrap()
}

fn logs(n_min: usize) -> Payload {
    let mut rng = Rng::new(7);
    loop {
        let p = Payload::from_wire(Signal::Logs, logs_request(&mut rng).encode_to_vec().into()).unwrap();
        if p.item_count() >= n_min {
            return p;
        }
    }
}

fn value(snap: &Snapshot, name: &str, key: &str, val: &str) -> Option<u64> {
    snap.points
        .iter()
        .find(|p| {
            p.name == name
                && p.attrs
                    .iter()
                    .any(|(k, v)| *k == key && *v == AttrValue::Str(val.into()))
        })
        .map(|p| p.value)
}

#[tokio::test]
async fn a_pipeline_counts_as_the_go_helpers_do() {
    let reg = Arc::new(Registry::new(Level::Normal));
    let pipeline = Pipeline {
        name: "logs".into(),
        processors: vec![(id("advanced_filter/half"), Arc::new(HalfFilter))],
        exporters: vec![(id("otlp_rust/back"), Arc::new(Flaky(1.into())))],
        counts: PipelineCounts {
            receiver: None,
            processors: vec![reg.processor(&id("advanced_filter/half"), Signal::Logs)],
            exporters: vec![ExporterCount::Component(
                reg.exporter(&id("otlp_rust/back"), Signal::Logs),
            )],
        },
    };
    // A receiver feeding this pipeline alone is counted by the pipeline.
    let recv: Arc<dyn Consumer> = Arc::new(pipeline.counting_receiver(&reg, &id("otlp"), Signal::Logs));
    let grpc = consumer_for_transport(&recv, "grpc");
    // One feeding several pipelines is counted by a wrapper around them.
    let fanned: Arc<dyn Consumer> = Arc::new(CountedReceiver::new(
        reg.clone(),
        id("otlp/fan"),
        Signal::Logs,
        Arc::new(pipeline),
    ));
    let fanned_http = consumer_for_transport(&fanned, "http");

    let data = logs(4);
    let n = data.item_count() as u64;
    let kept = data.clone().retain({
        let mut k = false;
        move |_| {
            k = !k;
            k
        }
    });
    let kept = kept.map_or(0, |p| p.item_count()) as u64;
    let ctx = RequestContext::background();
    assert!(
        grpc.consume(&ctx, data.clone()).await.is_err(),
        "the first export fails"
    );
    grpc.consume(&ctx, data.clone()).await.unwrap();
    fanned_http.consume(&ctx, data).await.unwrap();

    let snap = reg.snapshot();
    assert_eq!(
        value(&snap, "otelcol_receiver_accepted_log_records", "transport", "grpc"),
        Some(n)
    );
    assert_eq!(
        value(&snap, "otelcol_receiver_refused_log_records", "transport", "grpc"),
        Some(n)
    );
    assert_eq!(
        value(&snap, "otelcol_receiver_failed_log_records", "transport", "grpc"),
        Some(0)
    );
    assert_eq!(
        value(
            &snap,
            "otelcol_processor_incoming_items",
            "processor",
            "advanced_filter/half"
        ),
        Some(3 * n)
    );
    assert_eq!(
        value(
            &snap,
            "otelcol_processor_outgoing_items",
            "processor",
            "advanced_filter/half"
        ),
        Some(3 * kept)
    );
    assert_eq!(
        value(&snap, "otelcol_exporter_sent_log_records", "exporter", "otlp_rust/back"),
        Some(2 * kept)
    );
    assert_eq!(
        value(&snap, "otelcol_receiver_accepted_log_records", "transport", "http"),
        Some(n),
        "the wrapper counts by transport too"
    );
    let failed = snap
        .points
        .iter()
        .find(|p| p.name == "otelcol_exporter_send_failed_log_records")
        .expect("a failure series");
    assert_eq!(failed.value, kept);
    assert!(
        failed
            .attrs
            .contains(&("error.type", AttrValue::Str("Unavailable".into())))
    );
    assert!(failed.attrs.contains(&("error.permanent", AttrValue::Bool(false))));
    // Each receiver's series without a transport stays separate and at zero.
    assert_eq!(
        snap.points
            .iter()
            .filter(|p| p.name == "otelcol_receiver_accepted_log_records")
            .count(),
        4
    );
}

#[test]
fn failures_are_typed_as_exporterhelper_types_them() {
    let reg = Registry::new(Level::Detailed);
    let e = reg.exporter(&id("otlp_rust"), Signal::Traces);
    e.record(1, &Err(ProcessingError::cancelled("c")));
    e.record(2, &Err(ProcessingError::timeout("t")));
    e.record(4, &Err(ProcessingError::permanent("p")));
    e.record(
        8,
        &Err(ProcessingError::from_status(&tonic::Status::permission_denied("no"))),
    );
    let seen: Vec<_> = e.send_failed().collect();
    assert!(seen.contains(&("Canceled", false, 1)), "{seen:?}");
    assert!(seen.contains(&("Deadline_Exceeded", false, 2)), "{seen:?}");
    assert!(seen.contains(&("_OTHER", true, 4)), "{seen:?}");
    assert!(
        seen.iter().any(|(t, _, n)| *t == "PermissionDenied" && *n == 8),
        "{seen:?}"
    );
}

#[test]
fn bridges_are_told_apart_from_the_users_components() {
    assert_eq!(bridge_name(&id("otlp/bridge_0")), Some("bridge_0"));
    assert_eq!(bridge_name(&id("otlp_rust/bridge_12")), Some("bridge_12"));
    assert_eq!(bridge_name(&id("otlp/bridge_")), None);
    assert_eq!(bridge_name(&id("otlp/bridge_x")), None);
    assert_eq!(bridge_name(&id("otlp")), None);
}

#[test]
fn levels_read_as_configtelemetry_reads_them() {
    assert_eq!(Level::parse("Detailed").unwrap(), Level::Detailed);
    assert_eq!(Level::parse("none").unwrap(), Level::None);
    assert!(
        Level::parse("verbose")
            .unwrap_err()
            .contains("none, basic, normal or detailed")
    );
    assert_eq!(Level::default(), Level::Normal);
}

#[test]
fn the_snapshot_encodes_as_otlp_sums_and_histograms() {
    use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
    use opentelemetry_proto::tonic::metrics::v1::metric::Data;
    let reg = Registry::new(Level::Normal);
    reg.receiver(&id("otlp"), "grpc", Signal::Metrics).record(5, &Ok(()));
    reg.bridge("bridge_0", "go_to_rust", Signal::Metrics)
        .record(Duration::from_micros(70));
    let snap = reg.snapshot();
    let req = ExportMetricsServiceRequest::decode(snap.encode().as_slice()).unwrap();
    let rm = &req.resource_metrics[0];
    let metrics = &rm.scope_metrics[0].metrics;
    let accepted = metrics
        .iter()
        .find(|m| m.name == "otelcol_receiver_accepted_metric_points")
        .unwrap();
    let Some(Data::Sum(sum)) = &accepted.data else {
        panic!("a sum")
    };
    assert!(sum.is_monotonic);
    assert_eq!(sum.data_points.len(), 1);
    let hop = metrics.iter().find(|m| m.name == snapshot::BRIDGE_DURATION).unwrap();
    let Some(Data::Histogram(h)) = &hop.data else {
        panic!("a histogram")
    };
    assert_eq!(h.data_points[0].count, 1);
    assert_eq!(
        h.data_points[0].bucket_counts.len(),
        h.data_points[0].explicit_bounds.len() + 1
    );
    assert_eq!(
        rm.resource.as_ref().unwrap().attributes[0].key,
        "service.instance.id",
        "restarts are told by the instance id"
    );
    assert_ne!(
        Registry::new(Level::Normal).snapshot().instance,
        snap.instance,
        "a service restarted in the same process starts a new epoch"
    );
}

/// Holds every export until released, then answers as `Flaky` does.
struct Gated(Arc<tokio::sync::Semaphore>, Flaky);

#[async_trait]
impl Exporter for Gated {
    async fn export(&self, ctx: &RequestContext, data: Payload) -> Result<(), ProcessingError> {
        let _p = self.0.acquire().await.expect("gate open");
        self.1.export(ctx, data).await
    }
}

/// Behind a sending queue, as behind exporterhelper's: a send is counted when
/// it happens, not when it is queued; a refusal of the full queue is an
/// enqueue failure; queue size and capacity are reported.
#[tokio::test]
async fn a_queued_exporter_counts_its_sends_when_they_happen() {
    use crate::config::exporter::QueueConfig;
    use crate::queue::QueuedExporter;

    let reg = Registry::new(Level::Normal);
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let cfg = QueueConfig {
        queue_size: 3,
        num_consumers: 1,
        ..QueueConfig::default()
    };
    let q = QueuedExporter::wrap(
        id("otlp_rust"),
        Arc::new(Gated(gate.clone(), Flaky(1.into()))),
        cfg,
        Duration::from_secs(5),
    );
    let series = reg.exporter(&id("otlp_rust"), Signal::Logs);
    assert!(q.count_sends(&series), "a queue counts for itself");
    q.start().await.unwrap();
    let data = logs(2);
    let n = data.item_count() as u64;
    let ctx = RequestContext::background();
    // One taken by the consumer (held at the gate, still taking room), two
    // queued, one refused.
    q.export(&ctx, data.clone()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    q.export(&ctx, data.clone()).await.unwrap();
    q.export(&ctx, data.clone()).await.unwrap();
    assert!(q.export(&ctx, data).await.is_err(), "the queue is full");
    let snap = reg.snapshot();
    assert_eq!(
        value(&snap, "otelcol_exporter_sent_log_records", "exporter", "otlp_rust"),
        Some(0)
    );
    assert_eq!(
        value(
            &snap,
            "otelcol_exporter_enqueue_failed_log_records",
            "exporter",
            "otlp_rust"
        ),
        Some(n)
    );
    let gauge = |name: &str| snap.gauges.iter().find(|g| g.name == name).map(|g| g.value);
    assert_eq!(gauge("otelcol_exporter_queue_size"), Some(3));
    assert_eq!(gauge("otelcol_exporter_queue_capacity"), Some(3));

    gate.add_permits(3);
    q.shutdown().await;
    let snap = reg.snapshot();
    assert_eq!(
        value(&snap, "otelcol_exporter_sent_log_records", "exporter", "otlp_rust"),
        Some(2 * n)
    );
    let failed: u64 = series.send_failed().map(|(_, _, v)| v).sum();
    assert_eq!(failed, n, "the first send failed in the background");
    assert_eq!(series.queue_size.load(std::sync::atomic::Ordering::Relaxed), 0);
}
