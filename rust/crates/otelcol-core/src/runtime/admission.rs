//! The memory bound of the Rust half: the bytes of request data it holds
//! (requests being processed, from the receiver's admission until its answer,
//! plus requests in sending queues, until their export ends) never pass
//! `service.memory_limit_mib`. A receiver's request that would pass it is
//! refused before any work with a retryable ResourceExhausted carrying
//! RetryInfo (HTTP 429 with Retry-After), so senders back off instead of the
//! process growing until it is killed.
//!
//! Bytes held are counted rather than the process RSS polled: the count is
//! exact at the moment of the decision, costs two atomic operations per
//! request, and cannot lag behind a burst. Data are held encoded (`Payload`
//! keeps the wire bytes, shared between fan-out branches), so the count is
//! what the data take. A queued request is counted from its enqueue while the
//! receiver's call that queued it may not have ended yet: the count errs on
//! the side of refusing.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;

use crate::component::Consumer;
use crate::{Payload, ProcessingError, RequestContext};

/// `service.memory_limit_mib` when unset: request data the Rust half may hold.
pub const DEFAULT_MEMORY_LIMIT_MIB: u64 = 512;

/// What a refused sender is told to wait before retrying.
pub const REFUSED_RETRY_AFTER: Duration = Duration::from_secs(1);

/// Bytes of request data held, against a limit.
#[derive(Debug)]
pub struct MemoryBudget {
    limit: AtomicU64,
    held: AtomicU64,
    /// Set while requests are being refused: the log says when refusing
    /// starts and ends, not once per refused request.
    refusing: AtomicBool,
}

impl MemoryBudget {
    pub const fn new(limit_bytes: u64) -> Self {
        MemoryBudget {
            limit: AtomicU64::new(limit_bytes),
            held: AtomicU64::new(0),
            refusing: AtomicBool::new(false),
        }
    }

    pub fn set_limit(&self, limit_bytes: u64) {
        self.limit.store(limit_bytes, Ordering::Relaxed);
    }

    pub fn limit(&self) -> u64 {
        self.limit.load(Ordering::Relaxed)
    }

    pub fn held(&self) -> u64 {
        self.held.load(Ordering::Relaxed)
    }

    /// Admits `bytes` of new data, or refuses when they would pass the limit.
    /// One request larger than the whole limit is admitted when nothing else
    /// is held, so the limit can never refuse a request forever.
    pub fn admit(self: &Arc<Self>, bytes: u64) -> Result<Held, ProcessingError> {
        let limit = self.limit();
        let r = self.held.fetch_update(Ordering::AcqRel, Ordering::Acquire, |held| {
            let after = held.saturating_add(bytes);
            (after <= limit || held == 0).then_some(after)
        });
        match r {
            Ok(_) => Ok(Held {
                budget: self.clone(),
                bytes,
            }),
            Err(held) => Err(ProcessingError::ResourceExhausted {
                message: format!(
                    "the Rust half holds {} MiB of data, its memory limit is {} MiB (service.memory_limit_mib): request of {bytes} bytes refused, retry later",
                    held >> 20,
                    limit >> 20
                ),
                retry_after: Some(REFUSED_RETRY_AFTER),
            }),
        }
    }

    /// Counts `bytes` already admitted by a receiver and now kept longer (a
    /// queued request): never refused, released when the guard drops.
    pub fn hold(self: &Arc<Self>, bytes: u64) -> Held {
        self.held.fetch_add(bytes, Ordering::AcqRel);
        Held {
            budget: self.clone(),
            bytes,
        }
    }
}

/// Bytes counted until this guard drops.
#[derive(Debug)]
pub struct Held {
    budget: Arc<MemoryBudget>,
    bytes: u64,
}

impl Drop for Held {
    fn drop(&mut self) {
        self.budget.held.fetch_sub(self.bytes, Ordering::AcqRel);
    }
}

/// The process's budget: one Rust half per process (child or linked library).
pub fn budget() -> &'static Arc<MemoryBudget> {
    static BUDGET: std::sync::OnceLock<Arc<MemoryBudget>> = std::sync::OnceLock::new();
    BUDGET.get_or_init(|| Arc::new(MemoryBudget::new(DEFAULT_MEMORY_LIMIT_MIB << 20)))
}

/// A receiver's consumer behind the memory bound: a request is admitted
/// before anything runs and counted until its answer.
pub struct Admitted {
    pub inner: Arc<dyn Consumer>,
    pub budget: Arc<MemoryBudget>,
}

#[async_trait]
impl Consumer for Admitted {
    async fn consume(&self, ctx: &RequestContext, data: Payload) -> Result<(), ProcessingError> {
        let held = match self.budget.admit(data.bytes().len() as u64) {
            Ok(h) => {
                if self.budget.refusing.swap(false, Ordering::Relaxed) {
                    tracing::info!(
                        held_bytes = self.budget.held(),
                        "below the memory limit again, accepting data"
                    );
                }
                h
            }
            Err(e) => {
                if !self.budget.refusing.swap(true, Ordering::Relaxed) {
                    tracing::warn!(items = data.item_count(), error = %e, "memory limit reached, refusing data");
                }
                return Err(e);
            }
        };
        let r = self.inner.consume(ctx, data).await;
        drop(held);
        r
    }

    fn for_transport(&self, transport: &'static str) -> Option<Arc<dyn Consumer>> {
        let inner = self.inner.for_transport(transport)?;
        Some(Arc::new(Admitted {
            inner,
            budget: self.budget.clone(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admits_up_to_the_limit_and_releases_on_drop() {
        let b = Arc::new(MemoryBudget::new(100));
        let a = b.admit(60).expect("room");
        let c = b.admit(40).expect("exactly the limit");
        assert_eq!(b.held(), 100);
        let e = b.admit(1).expect_err("over the limit");
        assert_eq!(e.grpc_code(), tonic::Code::ResourceExhausted);
        assert_eq!(e.retry_after(), Some(REFUSED_RETRY_AFTER));
        assert_eq!(e.http_status(), 429);
        assert!(!e.is_permanent());
        assert!(e.message().contains("memory_limit_mib"), "{e}");
        drop(a);
        assert_eq!(b.held(), 40);
        let _d = b.admit(60).expect("room again");
        drop(c);
        assert_eq!(b.held(), 60);
    }

    #[test]
    fn a_request_larger_than_the_limit_passes_alone() {
        let b = Arc::new(MemoryBudget::new(10));
        let big = b.admit(50).expect("alone");
        assert!(b.admit(1).is_err());
        drop(big);
        assert_eq!(b.held(), 0);
    }

    #[test]
    fn holds_are_never_refused_but_count_against_admission() {
        let b = Arc::new(MemoryBudget::new(100));
        let q = b.hold(150);
        assert_eq!(b.held(), 150);
        assert!(b.admit(1).is_err());
        drop(q);
        assert!(b.admit(100).is_ok());
        assert_eq!(b.held(), 0);
    }

    /// Holds every request until the gate opens.
    struct Gated(Arc<tokio::sync::Semaphore>);

    #[async_trait]
    impl Consumer for Gated {
        async fn consume(&self, _: &RequestContext, _: Payload) -> Result<(), ProcessingError> {
            let _p = self
                .0
                .acquire()
                .await
                .map_err(|_| ProcessingError::retryable("closed"))?;
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_receivers_request_is_held_until_its_answer() {
        use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
        use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
        let data = Payload::from(ExportLogsServiceRequest {
            resource_logs: vec![ResourceLogs {
                scope_logs: vec![ScopeLogs {
                    log_records: vec![LogRecord {
                        severity_text: "x".repeat(1000),
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        });
        let size = data.bytes().len() as u64;
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        let budget = Arc::new(MemoryBudget::new(size + size / 2));
        let c = Arc::new(Admitted {
            inner: Arc::new(Gated(gate.clone())),
            budget: budget.clone(),
        });
        let first = tokio::spawn({
            let (c, d) = (c.clone(), data.clone());
            async move { c.consume(&RequestContext::background(), d).await }
        });
        while budget.held() == 0 {
            tokio::task::yield_now().await;
        }
        assert_eq!(budget.held(), size, "held while the pipeline runs");
        let refused = c
            .consume(&RequestContext::background(), data.clone())
            .await
            .unwrap_err();
        assert_eq!(refused.grpc_code(), tonic::Code::ResourceExhausted);
        gate.add_permits(2);
        first.await.unwrap().unwrap();
        assert_eq!(budget.held(), 0, "released with the answer");
        c.consume(&RequestContext::background(), data).await.unwrap();
    }

    #[test]
    fn concurrent_admissions_never_pass_the_limit() {
        let b = Arc::new(MemoryBudget::new(1000));
        let peak = Arc::new(AtomicU64::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (b, peak) = (b.clone(), peak.clone());
                std::thread::spawn(move || {
                    for _ in 0..10_000 {
                        if let Ok(h) = b.admit(300) {
                            peak.fetch_max(b.held(), Ordering::Relaxed);
                            drop(h);
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert!(peak.load(Ordering::Relaxed) <= 1000);
        assert_eq!(b.held(), 0);
    }
}
