//! What the collector's own component counters cost the data path: one
//! request through a counted receiver → one processor → one exporter,
//! against the same pipeline with `service.telemetry.metrics.level: none`
//! (no counting). Components do nothing, so the difference is all counting:
//! one relaxed atomic add per counter per batch, independent of the number of
//! items, plus, for a receiver feeding several pipelines, the call through
//! the wrapper that counts it. One JSON line on stdout.
//!
//! cargo bench -p otelcol-core --bench component_counters

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use otelcol_core::component::{Consumer, Exporter, Processor};
use otelcol_core::model::testdata::{Rng, metrics_request};
use otelcol_core::pipeline::{ExporterCount, Pipeline, PipelineCounts};
use otelcol_core::telemetry::metrics::counted::CountedReceiver;
use otelcol_core::telemetry::metrics::{Level, Registry};
use otelcol_core::{ComponentId, Payload, ProcessingError, RequestContext, Signal, async_trait};
use prost::Message;

struct Pass;

#[async_trait]
impl Processor for Pass {
    async fn process(&self, _: &RequestContext, data: Payload) -> Result<Option<Payload>, ProcessingError> {
        Ok(Some(data))
    }
}

struct Sink;

#[async_trait]
impl Exporter for Sink {
    async fn export(&self, _: &RequestContext, data: Payload) -> Result<(), ProcessingError> {
        black_box(data);
        Ok(())
    }
}

fn pipeline(registry: Option<&Arc<Registry>>, fanout: bool) -> Arc<dyn Consumer> {
    let p = ComponentId::parse("advanced_filter").unwrap();
    let e = ComponentId::parse("otlp_rust").unwrap();
    let counts = match registry {
        Some(r) => PipelineCounts {
            receiver: None,
            processors: vec![r.processor(&p, Signal::Metrics)],
            exporters: vec![ExporterCount::Component(r.exporter(&e, Signal::Metrics))],
        },
        None => PipelineCounts::default(),
    };
    let pipeline = Pipeline {
        name: "metrics".into(),
        processors: vec![(p, Arc::new(Pass))],
        exporters: vec![(e, Arc::new(Sink))],
        counts,
    };
    let receiver = ComponentId::parse("otlp").unwrap();
    match (registry, fanout) {
        // A receiver feeding one pipeline: the pipeline counts it too.
        (Some(r), false) => Arc::new(pipeline.counting_receiver(r, &receiver, Signal::Metrics)),
        // Feeding several: a wrapper counts it (here around the one pipeline).
        (Some(r), true) => Arc::new(CountedReceiver::new(
            r.clone(),
            receiver,
            Signal::Metrics,
            Arc::new(pipeline),
        )),
        (None, _) => Arc::new(pipeline),
    }
}

fn ns_per_request(rt: &tokio::runtime::Runtime, c: &Arc<dyn Consumer>, data: &Payload, n: u32) -> f64 {
    let ctx = RequestContext::background();
    rt.block_on(async {
        let start = Instant::now();
        for _ in 0..n {
            c.consume(&ctx, data.clone()).await.unwrap();
        }
        start.elapsed().as_nanos() as f64 / f64::from(n)
    })
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let data = Payload::from_wire(
        Signal::Metrics,
        metrics_request(&mut Rng::new(1)).encode_to_vec().into(),
    )
    .unwrap();
    let registry = Arc::new(Registry::new(Level::Normal));
    let counted = pipeline(Some(&registry), false);
    let wrapped = pipeline(Some(&registry), true);
    let plain = pipeline(None, false);
    const N: u32 = 2_000_000;
    // Warm up, then take the best of a few rounds of each, interleaved.
    for c in [&counted, &wrapped, &plain] {
        ns_per_request(&rt, c, &data, N / 10);
    }
    let (mut with, mut fan, mut without) = (f64::MAX, f64::MAX, f64::MAX);
    for _ in 0..10 {
        with = with.min(ns_per_request(&rt, &counted, &data, N));
        fan = fan.min(ns_per_request(&rt, &wrapped, &data, N));
        without = without.min(ns_per_request(&rt, &plain, &data, N));
    }
    println!(
        "{{\"uncounted_ns_per_request\":{without:.1},\"counting_ns_per_request\":{:.1},\"counting_ns_per_request_fanout_wrapper\":{:.1},\"items_per_request\":{}}}",
        with - without,
        fan - without,
        data.item_count()
    );
}
