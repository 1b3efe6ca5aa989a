//! Any bytes as any signal's export request: validation must never panic or
//! allocate without bound; whatever it accepts, prost must accept too, the
//! views must count what validation counted, and an edit of it must decode.
//! The bridge's lighter check (a validated sender) must never panic either,
//! nor its views and edits over unchecked item contents.
#![no_main]

use libfuzzer_sys::fuzz_target;
use otelcol_core::Signal;
use otelcol_core::model::Payload;
use prost::Message;

fuzz_target!(|data: &[u8]| {
    let Some((&first, body)) = data.split_first() else {
        return;
    };
    let signal = Signal::ALL[usize::from(first) % 3];
    if let Ok(p) = Payload::from_validated_sender(signal, body.to_vec().into()) {
        let _: usize = p.items().map(|i| i.item_count() + i.name().len()).sum();
        let mut n = 0usize;
        let _ = p.retain(|_| {
            n += 1;
            n % 2 == 0
        });
    }
    let Ok(p) = Payload::from_wire(signal, body.to_vec().into()) else {
        return;
    };
    let prost_ok = match signal {
        Signal::Traces => {
            opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest::decode(body).is_ok()
        }
        Signal::Metrics => {
            opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest::decode(body).is_ok()
        }
        Signal::Logs => opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest::decode(body).is_ok(),
    };
    assert!(prost_ok, "validated bytes that prost refuses");
    let counted: usize = p.items().map(|i| i.item_count()).sum();
    assert_eq!(counted, p.item_count());
    let mut n = 0usize;
    if let Some(kept) = p.retain(|_| {
        n += 1;
        n % 2 == 0
    }) {
        kept.decode().expect("an edit of a valid request decodes");
        let again = Payload::from_wire(signal, kept.bytes().clone()).expect("an edit of a valid request validates");
        assert_eq!(again.item_count(), kept.item_count());
    }
});
