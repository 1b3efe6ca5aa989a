//! One series per component and signal: plain atomics, added to once per
//! batch with relaxed ordering (a scrape may see a batch half counted, never
//! a torn number).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use crate::component::Signal;
use crate::error::ProcessingError;

pub struct ReceiverSeries {
    pub receiver: String,
    /// `grpc`, `http`…: the receiver says which listener a request came in on.
    pub transport: &'static str,
    pub signal: Signal,
    pub accepted: AtomicU64,
    pub refused: AtomicU64,
    /// Stays 0: the collector counts every pipeline error as refused unless
    /// its receiverhelper.newReceiverMetrics gate is on, which it is not by default.
    pub failed: AtomicU64,
}

impl ReceiverSeries {
    pub(super) fn new(receiver: &str, transport: &'static str, signal: Signal) -> Self {
        ReceiverSeries {
            receiver: receiver.to_string(),
            transport,
            signal,
            accepted: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            failed: AtomicU64::new(0),
        }
    }

    pub fn record(&self, items: usize, result: &Result<(), ProcessingError>) {
        let c = if result.is_ok() { &self.accepted } else { &self.refused };
        c.fetch_add(items as u64, Relaxed);
    }
}

pub struct ProcessorSeries {
    pub processor: String,
    pub signal: Signal,
    pub incoming: AtomicU64,
    pub outgoing: AtomicU64,
}

impl ProcessorSeries {
    pub(super) fn new(processor: &str, signal: Signal) -> Self {
        ProcessorSeries {
            processor: processor.to_string(),
            signal,
            incoming: AtomicU64::new(0),
            outgoing: AtomicU64::new(0),
        }
    }

    /// processorhelper's rule: what went in, and what came out (0 when the
    /// processor dropped everything or failed).
    pub fn record(&self, incoming: usize, outgoing: usize) {
        self.incoming.fetch_add(incoming as u64, Relaxed);
        self.outgoing.fetch_add(outgoing as u64, Relaxed);
    }
}

/// exporterhelper's `error.type` values: the gRPC code's Go name, a caller
/// context that ended (`Canceled`, `Deadline_Exceeded`), else `_OTHER`.
pub const ERROR_TYPES: [&str; 18] = [
    "Canceled",
    "Unknown",
    "InvalidArgument",
    "DeadlineExceeded",
    "NotFound",
    "AlreadyExists",
    "PermissionDenied",
    "ResourceExhausted",
    "FailedPrecondition",
    "Aborted",
    "OutOfRange",
    "Unimplemented",
    "Internal",
    "Unavailable",
    "DataLoss",
    "Unauthenticated",
    "Deadline_Exceeded",
    "_OTHER",
];

fn error_type(e: &ProcessingError) -> usize {
    let code = match e {
        ProcessingError::Cancelled { .. } => return 0,
        ProcessingError::Timeout { .. } => return 16,
        ProcessingError::Permanent { code: Some(c), .. } | ProcessingError::Retryable { code: Some(c), .. } => *c,
        ProcessingError::ResourceExhausted { .. } => tonic::Code::ResourceExhausted,
        _ => return 17,
    };
    match code as usize {
        // OK is no failure; a status that says OK with an error is unknown ground.
        0 => 17,
        c @ 1..=16 => c - 1,
        _ => 17,
    }
}

pub struct ExporterSeries {
    pub exporter: String,
    pub signal: Signal,
    pub sent: AtomicU64,
    /// Indexed by `ERROR_TYPES` position × 2 + permanent.
    send_failed: [AtomicU64; ERROR_TYPES.len() * 2],
    /// Items a full (or closing) sending queue refused.
    pub enqueue_failed: AtomicU64,
    /// The sending queue's capacity, in its sizer's units; 0: no queue.
    pub queue_capacity: AtomicU64,
    /// What of this signal the queue holds now, in its sizer's units.
    pub queue_size: AtomicU64,
}

impl ExporterSeries {
    pub(super) fn new(exporter: &str, signal: Signal) -> Self {
        ExporterSeries {
            exporter: exporter.to_string(),
            signal,
            sent: AtomicU64::new(0),
            send_failed: std::array::from_fn(|_| AtomicU64::new(0)),
            enqueue_failed: AtomicU64::new(0),
            queue_capacity: AtomicU64::new(0),
            queue_size: AtomicU64::new(0),
        }
    }

    pub fn record(&self, items: usize, result: &Result<(), ProcessingError>) {
        match result {
            Ok(()) => self.sent.fetch_add(items as u64, Relaxed),
            Err(e) => {
                let i = error_type(e) * 2 + usize::from(e.is_permanent());
                self.send_failed[i].fetch_add(items as u64, Relaxed)
            }
        };
    }

    /// `(error.type, error.permanent, items)` for every kind of failure seen.
    pub fn send_failed(&self) -> impl Iterator<Item = (&'static str, bool, u64)> + '_ {
        self.send_failed.iter().enumerate().filter_map(|(i, c)| {
            let n = c.load(Relaxed);
            (n > 0).then(|| (ERROR_TYPES[i / 2], i % 2 == 1, n))
        })
    }
}

/// Upper bounds, in seconds, of the bridge hop histogram: a hop over a unix
/// socket takes tens of microseconds, a loaded one milliseconds.
pub const HOP_BOUNDS: [f64; 14] = [
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
];

/// The latency of one bridge, the partitioner-made pair joining the halves.
pub struct BridgeSeries {
    pub bridge: String,
    /// `go_to_rust` or `rust_to_go`.
    pub direction: &'static str,
    pub signal: Signal,
    buckets: [AtomicU64; HOP_BOUNDS.len() + 1],
    sum_nanos: AtomicU64,
}

impl BridgeSeries {
    pub(super) fn new(bridge: &str, direction: &'static str, signal: Signal) -> Self {
        BridgeSeries {
            bridge: bridge.to_string(),
            direction,
            signal,
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            sum_nanos: AtomicU64::new(0),
        }
    }

    pub fn record(&self, d: Duration) {
        let secs = d.as_secs_f64();
        let i = HOP_BOUNDS.iter().position(|b| secs <= *b).unwrap_or(HOP_BOUNDS.len());
        self.buckets[i].fetch_add(1, Relaxed);
        self.sum_nanos
            .fetch_add(d.as_nanos().min(u64::MAX as u128) as u64, Relaxed);
    }

    /// Per-bucket counts (not cumulative), and the sum in seconds.
    pub fn read(&self) -> (Vec<u64>, f64) {
        let counts = self.buckets.iter().map(|c| c.load(Relaxed)).collect();
        (counts, self.sum_nanos.load(Relaxed) as f64 / 1e9)
    }
}
