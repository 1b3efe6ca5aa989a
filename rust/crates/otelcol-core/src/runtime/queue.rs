//! An exporter's `sending_queue`, meaning what it means on a Go exporter: the
//! caller is answered once its request is queued, `num_consumers` exports run
//! at once in the background (each with the exporter's own retries), and a
//! full queue refuses with a retryable error so the sender backs off, or makes
//! the caller wait with `block_on_overflow`. With `wait_for_result` the caller
//! gets the export's outcome, under its own deadline and cancellation.
//!
//! A queued request no longer belongs to its caller: it keeps the client
//! metadata and trace context (what the backend request carries) but not the
//! caller's deadline or cancellation, as Go detaches it with
//! `context.WithoutCancel`.

use std::collections::VecDeque;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::exporter::{QueueConfig, Sizer};
use crate::runtime::admission::{self, Held, MemoryBudget};
use crate::runtime::spool::{self, Spool};
use crate::telemetry::metrics::ExporterSeries;
use crate::{ComponentId, Exporter, Payload, ProcessingError, RequestContext, Signal};

type Outcome = Result<(), ProcessingError>;

struct Entry {
    ctx: RequestContext,
    data: Payload,
    size: u64,
    done: Option<oneshot::Sender<Outcome>>,
    /// The request's bytes, counted against the Rust half's memory bound
    /// until the entry is dropped (its export ended, or shutdown dropped it).
    _held: Option<Held>,
    /// Its file in the spool, while it has one (acknowledged on enqueue).
    spooled: Option<u64>,
    /// Its size is in the queue-size gauge: entries queued again from the
    /// spool at start come before the gauge exists and join it when it does.
    in_gauge: bool,
}

#[derive(Default)]
struct State {
    entries: VecDeque<Entry>,
    used: u64,
    closed: bool,
}

struct Shared {
    state: Mutex<State>,
    /// An entry was queued, or the queue closed.
    ready: Notify,
    /// Room was freed.
    space: Notify,
    /// Where acknowledged requests are kept for a restarted child, when the
    /// parent named a place (runtime/spool.rs); opened at start.
    spool: OnceLock<Spool>,
    /// Fired when shutdown stops waiting for the queue to drain: exports still
    /// running or retrying end at once.
    stop: CancellationToken,
    /// The collector's counters of this exporter, per signal, when it counts
    /// (`Exporter::count_sends`): sends are counted by the consumers, when
    /// they happen, as exporterhelper counts them behind its queue.
    series: [OnceLock<Arc<ExporterSeries>>; 3],
}

fn signal_index(s: Signal) -> usize {
    match s {
        Signal::Traces => 0,
        Signal::Metrics => 1,
        Signal::Logs => 2,
    }
}

impl Shared {
    fn series(&self, s: Signal) -> Option<&Arc<ExporterSeries>> {
        self.series[signal_index(s)].get()
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the queue half-updated
        // (every critical section is a push or pop plus a counter), so keep going.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Wraps an exporter with its sending queue.
pub struct QueuedExporter {
    id: ComponentId,
    inner: Arc<dyn Exporter>,
    cfg: QueueConfig,
    shared: Arc<Shared>,
    workers: Mutex<Vec<JoinHandle<()>>>,
    drain: Duration,
    /// The Rust half's memory bound, which counts what this queue holds.
    budget: Arc<MemoryBudget>,
    /// The spool root (`OTELCOL_RUST_SPOOL_DIR`), if the parent named one.
    spool_root: Option<std::path::PathBuf>,
}

impl QueuedExporter {
    /// `inner` itself when the queue is off. `drain` bounds how long shutdown
    /// waits for queued requests to be delivered before dropping the rest.
    pub fn wrap(id: ComponentId, inner: Arc<dyn Exporter>, cfg: QueueConfig, drain: Duration) -> Arc<dyn Exporter> {
        if !cfg.enabled {
            return inner;
        }
        Arc::new(Self::new(id, inner, cfg, drain, spool::root_from_env()))
    }

    fn new(
        id: ComponentId,
        inner: Arc<dyn Exporter>,
        cfg: QueueConfig,
        drain: Duration,
        spool_root: Option<std::path::PathBuf>,
    ) -> Self {
        QueuedExporter {
            id,
            inner,
            cfg,
            shared: Arc::new(Shared {
                state: Mutex::new(State::default()),
                ready: Notify::new(),
                space: Notify::new(),
                spool: OnceLock::new(),
                stop: CancellationToken::new(),
                series: Default::default(),
            }),
            workers: Mutex::new(Vec::new()),
            drain,
            budget: admission::budget().clone(),
            spool_root,
        }
    }

    /// Opens the spool and queues again what an earlier child acknowledged
    /// and did not deliver, ahead of anything new.
    fn replay_spool(&self) -> Result<(), String> {
        let Some(root) = &self.spool_root else {
            return Ok(());
        };
        let (spool, left) = Spool::open(root, &self.id).map_err(|e| {
            format!(
                "{}: opening the sending queue's spool under {}: {e}",
                self.id,
                root.display()
            )
        })?;
        let (requests, items) = (left.len(), left.iter().map(|s| s.data.item_count()).sum::<usize>());
        {
            let mut st = self.shared.lock();
            for s in left {
                let size = self.size_of(&s.data);
                st.used += size;
                st.entries.push_back(Entry {
                    ctx: self.detached(s.metadata, s.trace),
                    _held: Some(self.budget.hold(s.data.bytes().len() as u64)),
                    data: s.data,
                    size,
                    done: None,
                    spooled: Some(s.seq),
                    in_gauge: false,
                });
            }
        }
        if requests > 0 {
            tracing::info!(exporter = %self.id, requests, items,
                "queued again what the previous Rust half acknowledged and had not delivered");
        }
        let _ = self.shared.spool.set(spool);
        Ok(())
    }

    /// The context a queued request is exported under: the caller's client
    /// metadata and trace context, no deadline, cancelled only by shutdown.
    fn detached(&self, metadata: crate::ClientMetadata, trace: Option<crate::TraceContext>) -> RequestContext {
        RequestContext {
            deadline: None,
            cancel: self.shared.stop.child_token(),
            metadata,
            trace,
        }
    }

    fn size_of(&self, data: &Payload) -> u64 {
        match self.cfg.sizer {
            Sizer::Requests => 1,
            Sizer::Items => data.item_count() as u64,
            Sizer::Bytes => data.bytes().len() as u64,
        }
    }

    /// Whether a request of `size` fits now; `push` still decides, since
    /// the queue may fill in between.
    fn has_room(&self, size: u64) -> bool {
        self.shared.lock().used + size <= self.cfg.queue_size
    }

    /// A request refused without being queued, counted as `push_counted`
    /// counts one `push` refused.
    fn refuse(&self, data: &Payload, size: u64) -> ProcessingError {
        if let Some(series) = self.shared.series(data.signal()) {
            series.enqueue_failed.fetch_add(data.item_count() as u64, Relaxed);
        }
        if size > self.cfg.queue_size {
            self.too_large(size)
        } else {
            self.full()
        }
    }

    fn too_large(&self, size: u64) -> ProcessingError {
        ProcessingError::retryable(format!(
            "{}: request of {} {:?} is larger than the whole sending queue ({})",
            self.id, size, self.cfg.sizer, self.cfg.queue_size
        ))
    }

    fn full(&self) -> ProcessingError {
        ProcessingError::retryable(format!("{}: sending queue is full", self.id))
    }

    /// Queues `entry`, waiting for room only with `block_on_overflow`.
    async fn push(&self, caller: &RequestContext, entry: Entry) -> Result<(), ProcessingError> {
        if entry.size > self.cfg.queue_size {
            return Err(self.too_large(entry.size));
        }
        let mut entry = Some(entry);
        loop {
            let room = self.shared.space.notified();
            tokio::pin!(room);
            room.as_mut().enable();
            {
                let mut st = self.shared.lock();
                if st.closed {
                    return Err(ProcessingError::retryable(format!(
                        "{}: exporter is shutting down",
                        self.id
                    )));
                }
                let size = entry.as_ref().map_or(0, |e| e.size);
                if st.used + size <= self.cfg.queue_size {
                    st.used += size;
                    st.entries.extend(entry.take());
                    drop(st);
                    self.shared.ready.notify_one();
                    return Ok(());
                }
            }
            if !self.cfg.block_on_overflow {
                return Err(self.full());
            }
            caller
                .run(async {
                    room.await;
                    Ok(())
                })
                .await?;
        }
    }
}

impl QueuedExporter {
    /// `push`, counted when this exporter counts: the queue's size of the
    /// entry's signal, and the items of an entry the queue refused.
    async fn push_counted(&self, caller: &RequestContext, mut entry: Entry) -> Result<(), ProcessingError> {
        let Some(series) = self.shared.series(entry.data.signal()).cloned() else {
            return self.push(caller, entry).await;
        };
        entry.in_gauge = true;
        let (items, size) = (entry.data.item_count() as u64, entry.size);
        // Added before the push: a consumer may take the entry at once.
        series.queue_size.fetch_add(size, Relaxed);
        let r = self.push(caller, entry).await;
        if r.is_err() {
            series.queue_size.fetch_sub(size, Relaxed);
            series.enqueue_failed.fetch_add(items, Relaxed);
        }
        r
    }
}

/// One consumer: exports queued requests until the queue is closed and empty.
async fn consume(id: ComponentId, inner: Arc<dyn Exporter>, shared: Arc<Shared>) {
    loop {
        let woken = shared.ready.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        let next = {
            let mut st = shared.lock();
            match st.entries.pop_front() {
                Some(e) => Some(e),
                None if st.closed => return,
                None => None,
            }
        };
        let Some(entry) = next else {
            woken.await;
            continue;
        };
        let items = entry.data.item_count();
        let series = shared.series(entry.data.signal());
        let outcome = inner.export(&entry.ctx, entry.data).await;
        if let Some(s) = series {
            // Room is freed once the export ends, so the size counts it until then.
            if entry.in_gauge {
                s.queue_size.fetch_sub(entry.size, Relaxed);
            }
            s.record(items, &outcome);
        }
        shared.lock().used -= entry.size;
        shared.space.notify_waiters();
        if let (Some(seq), Some(spool)) = (entry.spooled, shared.spool.get()) {
            // An export cut by shutdown stays spooled for the next child.
            if !shared.stop.is_cancelled() {
                spool.remove(seq);
            }
        }
        match entry.done {
            Some(tx) => {
                let _ = tx.send(outcome);
            }
            None => {
                if let Err(e) = outcome {
                    // Nobody waits for this answer any more: say what was lost.
                    tracing::error!(exporter = %id, dropped_items = items, error = %e, "exporting failed, dropping data");
                }
            }
        }
    }
}

#[async_trait]
impl Exporter for QueuedExporter {
    async fn start(&self) -> Result<(), String> {
        self.inner.start().await?;
        self.replay_spool()?;
        let mut workers = self.workers.lock().unwrap_or_else(|p| p.into_inner());
        for _ in 0..self.cfg.num_consumers {
            workers.push(tokio::spawn(consume(
                self.id.clone(),
                self.inner.clone(),
                self.shared.clone(),
            )));
        }
        Ok(())
    }

    async fn export(&self, ctx: &RequestContext, data: Payload) -> Result<(), ProcessingError> {
        let size = self.size_of(&data);
        if !self.cfg.wait_for_result {
            // What a full queue refuses is refused before it is written to
            // the spool, not written and removed again.
            if self.shared.spool.get().is_some() && !self.cfg.block_on_overflow && !self.has_room(size) {
                return Err(self.refuse(&data, size));
            }
            let detached = self.detached(ctx.metadata.clone(), ctx.trace.clone());
            // Answered on enqueue: the receiver's admission ends with this
            // call, so the queue keeps the bytes counted while it holds them.
            let held = Some(self.budget.hold(data.bytes().len() as u64));
            let spooled = match self.shared.spool.get() {
                Some(spool) => Some(spool.write(&detached, &data).map_err(|e| {
                    ProcessingError::retryable(format!(
                        "{}: cannot keep the request for delivery after a restart: {e}",
                        self.id
                    ))
                })?),
                None => None,
            };
            let entry = Entry {
                ctx: detached,
                data,
                size,
                done: None,
                _held: held,
                spooled,
                in_gauge: false,
            };
            let r = self.push_counted(ctx, entry).await;
            if let (Err(_), Some(seq), Some(spool)) = (&r, spooled, self.shared.spool.get()) {
                spool.remove(seq);
            }
            return r;
        }
        let (tx, rx) = oneshot::channel();
        // The caller waits for the outcome: its admission covers the bytes.
        let entry = Entry {
            ctx: ctx.clone(),
            data,
            size,
            done: Some(tx),
            _held: None,
            spooled: None,
            in_gauge: false,
        };
        self.push_counted(ctx, entry).await?;
        ctx.run(async {
            rx.await
                .unwrap_or_else(|_| Err(ProcessingError::retryable("exporter stopped before sending")))
        })
        .await
    }

    fn count_sends(&self, series: &Arc<ExporterSeries>) -> bool {
        series.queue_capacity.store(self.cfg.queue_size, Relaxed);
        let mut st = self.shared.lock();
        if self.shared.series[signal_index(series.signal)]
            .set(series.clone())
            .is_ok()
        {
            // What the spool queued again at start, before this gauge existed.
            for e in st
                .entries
                .iter_mut()
                .filter(|e| e.data.signal() == series.signal && !e.in_gauge)
            {
                series.queue_size.fetch_add(e.size, Relaxed);
                e.in_gauge = true;
            }
        }
        drop(st);
        true
    }

    async fn shutdown(&self) {
        self.shared.lock().closed = true;
        self.shared.ready.notify_waiters();
        let workers: Vec<_> = std::mem::take(&mut *self.workers.lock().unwrap_or_else(|p| p.into_inner()));
        let mut all = futures::future::join_all(workers);
        if tokio::time::timeout(self.drain, &mut all).await.is_err() {
            let left: usize = self.shared.lock().entries.iter().map(|e| e.data.item_count()).sum();
            tracing::error!(exporter = %self.id, dropped_items = left, drain = ?self.drain,
                "sending queue not drained at shutdown, dropping what is left");
            self.shared.stop.cancel();
            let _ = all.await;
        }
        self.inner.shutdown().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;

    /// Fails its first `fail` exports, then records what it is given; each
    /// export waits on `gate` when it is set.
    struct Backend {
        fail: AtomicUsize,
        delivered: AtomicUsize,
        gate: Option<Arc<tokio::sync::Semaphore>>,
    }

    #[async_trait]
    impl Exporter for Backend {
        async fn export(&self, ctx: &RequestContext, _data: Payload) -> Result<(), ProcessingError> {
            if let Some(g) = &self.gate {
                ctx.run(async {
                    let _p = g.acquire().await.map_err(|_| ProcessingError::retryable("closed"))?;
                    Ok(())
                })
                .await?;
            }
            if self
                .fail
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
            {
                return Err(ProcessingError::permanent("backend says no"));
            }
            self.delivered.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    }

    fn backend(fail: usize, gate: Option<Arc<tokio::sync::Semaphore>>) -> Arc<Backend> {
        Arc::new(Backend {
            fail: AtomicUsize::new(fail),
            delivered: AtomicUsize::new(0),
            gate,
        })
    }

    fn queue(inner: Arc<Backend>, cfg: QueueConfig) -> Arc<dyn Exporter> {
        QueuedExporter::wrap(
            ComponentId::parse("otlp_rust").unwrap(),
            inner,
            cfg,
            Duration::from_secs(2),
        )
    }

    fn payload() -> Payload {
        Payload::from(ExportMetricsServiceRequest::default())
    }

    #[tokio::test]
    async fn answers_once_queued_and_delivers_in_the_background() {
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        let b = backend(0, Some(gate.clone()));
        let q = queue(b.clone(), QueueConfig::default());
        q.start().await.unwrap();
        for _ in 0..5 {
            q.export(&RequestContext::background(), payload()).await.unwrap();
        }
        assert_eq!(
            b.delivered.load(Ordering::SeqCst),
            0,
            "nothing delivered before the backend answers"
        );
        gate.add_permits(5);
        q.shutdown().await;
        assert_eq!(b.delivered.load(Ordering::SeqCst), 5);
    }

    #[tokio::test]
    async fn queued_requests_count_against_the_memory_bound_until_exported() {
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        let b = backend(0, Some(gate.clone()));
        let budget = Arc::new(MemoryBudget::new(1 << 20));
        let q = Arc::new(QueuedExporter {
            budget: budget.clone(),
            ..*unwrap_queued(
                QueueConfig {
                    num_consumers: 1,
                    ..QueueConfig::default()
                },
                b.clone(),
            )
        });
        q.start().await.unwrap();
        let one = big_payload();
        let size = one.bytes().len() as u64;
        assert!(size > 1000, "{size}");
        for _ in 0..3 {
            q.export(&RequestContext::background(), one.clone()).await.unwrap();
        }
        assert_eq!(
            budget.held(),
            3 * size,
            "acknowledged requests stay counted while queued"
        );
        gate.add_permits(3);
        q.shutdown().await;
        assert_eq!(b.delivered.load(Ordering::SeqCst), 3);
        assert_eq!(budget.held(), 0, "released once exported");

        // Waiting for the result: the caller's admission covers the bytes.
        let b = backend(0, None);
        let q = Arc::new(QueuedExporter {
            budget: budget.clone(),
            ..*unwrap_queued(
                QueueConfig {
                    wait_for_result: true,
                    ..QueueConfig::default()
                },
                b.clone(),
            )
        });
        q.start().await.unwrap();
        q.export(&RequestContext::background(), one).await.unwrap();
        assert_eq!(budget.held(), 0);
        q.shutdown().await;
    }

    /// A QueuedExporter by value, so a test can swap its budget.
    fn unwrap_queued(cfg: QueueConfig, inner: Arc<Backend>) -> Box<QueuedExporter> {
        Box::new(QueuedExporter::new(
            ComponentId::parse("otlp_rust").unwrap(),
            inner,
            cfg,
            Duration::from_secs(2),
            None,
        ))
    }

    fn spooled_queue(root: &std::path::Path, inner: Arc<Backend>) -> QueuedExporter {
        QueuedExporter::new(
            ComponentId::parse("otlp_rust/s").unwrap(),
            inner,
            QueueConfig::default(),
            Duration::from_millis(100),
            Some(root.to_path_buf()),
        )
    }

    fn spool_files(root: &std::path::Path) -> usize {
        std::fs::read_dir(root.join("otlp_rust~s")).map_or(0, |d| d.count())
    }

    #[tokio::test]
    async fn what_a_killed_process_acknowledged_is_delivered_by_the_next() {
        let root = tempfile::tempdir().unwrap();
        // A backend that never answers: the first process acknowledges three
        // requests and dies (is dropped, no shutdown) with all of them queued.
        let stalled = backend(0, Some(Arc::new(tokio::sync::Semaphore::new(0))));
        let first = spooled_queue(root.path(), stalled.clone());
        first.start().await.unwrap();
        for _ in 0..3 {
            first
                .export(&RequestContext::background(), big_payload())
                .await
                .unwrap();
        }
        assert_eq!(spool_files(root.path()), 3);
        first.shared.stop.cancel(); // the process is gone: its exports end with it
        drop(first);
        assert_eq!(stalled.delivered.load(Ordering::SeqCst), 0);

        let healthy = backend(0, None);
        let second = spooled_queue(root.path(), healthy.clone());
        second.start().await.unwrap();
        let until = tokio::time::Instant::now() + Duration::from_secs(5);
        while healthy.delivered.load(Ordering::SeqCst) < 3 {
            assert!(
                tokio::time::Instant::now() < until,
                "the spooled requests were not delivered"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        second.shutdown().await;
        assert_eq!(healthy.delivered.load(Ordering::SeqCst), 3);
        assert_eq!(spool_files(root.path()), 0, "delivered requests leave the spool");
    }

    /// The service starts exporters before it hands them their series: what
    /// the spool queued again joins the queue-size gauge then, and leaves it
    /// once exported, never taking it below zero.
    #[tokio::test]
    async fn queued_again_requests_join_the_queue_size_gauge_when_it_exists() {
        use crate::telemetry::metrics::{Level, Registry};
        let root = tempfile::tempdir().unwrap();
        let stalled = backend(0, Some(Arc::new(tokio::sync::Semaphore::new(0))));
        let first = spooled_queue(root.path(), stalled);
        first.start().await.unwrap();
        for _ in 0..2 {
            first
                .export(&RequestContext::background(), big_payload())
                .await
                .unwrap();
        }
        first.shared.stop.cancel();
        drop(first);

        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        let second = spooled_queue(root.path(), backend(0, Some(gate.clone())));
        second.start().await.unwrap();
        let reg = Registry::new(Level::Normal);
        let series = reg.exporter(&ComponentId::parse("otlp_rust/s").unwrap(), Signal::Metrics);
        assert!(second.count_sends(&series));
        // Both requests queued again hold room (the consumers have not run yet).
        assert_eq!(series.queue_size.load(Ordering::SeqCst), 2);
        gate.add_permits(2);
        let until = tokio::time::Instant::now() + Duration::from_secs(5);
        while series.queue_size.load(Ordering::SeqCst) != 0 {
            assert!(
                series.queue_size.load(Ordering::SeqCst) <= 2,
                "the gauge went below zero"
            );
            assert!(tokio::time::Instant::now() < until, "the gauge did not return to 0");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        second.shutdown().await;
    }

    /// The spool's sequence numbers show every write: a request the full
    /// queue refused must not have taken one (written, then removed).
    #[tokio::test]
    async fn a_full_queue_refuses_before_writing_to_the_spool() {
        let root = tempfile::tempdir().unwrap();
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        let q = QueuedExporter::new(
            ComponentId::parse("otlp_rust/s").unwrap(),
            backend(0, Some(gate.clone())),
            QueueConfig {
                queue_size: 2,
                num_consumers: 1,
                ..QueueConfig::default()
            },
            Duration::from_millis(100),
            Some(root.path().to_path_buf()),
        );
        q.start().await.unwrap();
        let mut acked = 0;
        let refusal = loop {
            match q.export(&RequestContext::background(), big_payload()).await {
                Ok(()) => acked += 1,
                Err(e) => break e,
            }
            assert!(acked < 10, "a queue of 2 kept acknowledging");
        };
        assert!(refusal.to_string().contains("sending queue is full"), "{refusal}");
        for _ in 0..3 {
            assert!(q.export(&RequestContext::background(), big_payload()).await.is_err());
        }
        assert_eq!(spool_files(root.path()), acked, "only what was acknowledged is spooled");
        // Room comes back (the gate opens): the next request is acknowledged.
        gate.add_permits(1);
        let until = tokio::time::Instant::now() + Duration::from_secs(5);
        while q.export(&RequestContext::background(), big_payload()).await.is_err() {
            assert!(tokio::time::Instant::now() < until, "no room after an export ended");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // A fresh spool numbers its writes from 0: the acknowledged requests
        // took 0..acked, so the newest file is number `acked` unless a refused
        // request took a number too.
        let newest = std::fs::read_dir(root.path().join("otlp_rust~s"))
            .unwrap()
            .filter_map(|e| {
                e.unwrap()
                    .file_name()
                    .to_string_lossy()
                    .split('.')
                    .next()?
                    .parse::<u64>()
                    .ok()
            })
            .max();
        assert_eq!(
            newest,
            Some(acked as u64),
            "the refused requests were written to the spool too"
        );
        q.shared.stop.cancel();
    }

    #[tokio::test]
    async fn a_request_that_cannot_be_spooled_is_refused_not_acknowledged() {
        let root = tempfile::tempdir().unwrap();
        let b = backend(0, None);
        let q = spooled_queue(root.path(), b.clone());
        q.start().await.unwrap();
        // The disk goes away under the spool (a full or read-only disk alike).
        std::fs::remove_dir_all(root.path().join("otlp_rust~s")).unwrap();
        let err = q
            .export(&RequestContext::background(), big_payload())
            .await
            .unwrap_err();
        assert!(!err.is_permanent(), "{err:?}");
        assert!(err.to_string().contains("delivery after a restart"), "{err}");
        q.shutdown().await;
        assert_eq!(b.delivered.load(Ordering::SeqCst), 0);
    }

    fn big_payload() -> Payload {
        use opentelemetry_proto::tonic::metrics::v1::{Metric, ResourceMetrics, ScopeMetrics};
        let metric = Metric {
            name: "x".repeat(4096),
            ..Default::default()
        };
        Payload::from(ExportMetricsServiceRequest {
            resource_metrics: vec![ResourceMetrics {
                scope_metrics: vec![ScopeMetrics {
                    metrics: vec![metric],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        })
    }

    #[tokio::test]
    async fn a_full_queue_refuses_with_a_retryable_error() {
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        let b = backend(0, Some(gate.clone()));
        let cfg = QueueConfig {
            queue_size: 2,
            num_consumers: 1,
            ..QueueConfig::default()
        };
        let q = queue(b.clone(), cfg);
        q.start().await.unwrap();
        q.export(&RequestContext::background(), payload()).await.unwrap();
        q.export(&RequestContext::background(), payload()).await.unwrap();
        let err = q.export(&RequestContext::background(), payload()).await.unwrap_err();
        assert!(!err.is_permanent(), "{err}");
        assert!(err.message().contains("sending queue is full"), "{err}");
        gate.add_permits(2);
        q.shutdown().await;
        assert_eq!(b.delivered.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn block_on_overflow_waits_for_room_within_the_callers_deadline() {
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        let b = backend(0, Some(gate.clone()));
        let cfg = QueueConfig {
            queue_size: 1,
            num_consumers: 1,
            block_on_overflow: true,
            ..QueueConfig::default()
        };
        let q = queue(b.clone(), cfg);
        q.start().await.unwrap();
        // Like Go's queue, a request holds its room until its export ends: the
        // one slot stays taken while the backend keeps request 1 waiting.
        q.export(&RequestContext::background(), payload()).await.unwrap();
        let short = RequestContext::background().with_timeout(Duration::from_millis(100));
        let err = q.export(&short, payload()).await.unwrap_err();
        assert_eq!(err.kind(), "timeout", "{err}");
        let waiting = {
            let q = q.clone();
            tokio::spawn(async move { q.export(&RequestContext::background(), payload()).await })
        };
        gate.add_permits(2);
        waiting.await.unwrap().unwrap();
        q.shutdown().await;
        assert_eq!(b.delivered.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn wait_for_result_returns_the_exports_outcome() {
        let b = backend(1, None);
        let cfg = QueueConfig {
            wait_for_result: true,
            ..QueueConfig::default()
        };
        let q = queue(b.clone(), cfg);
        q.start().await.unwrap();
        let err = q.export(&RequestContext::background(), payload()).await.unwrap_err();
        assert!(
            err.is_permanent(),
            "the backend's permanent error reaches the caller: {err}"
        );
        q.export(&RequestContext::background(), payload()).await.unwrap();
        assert_eq!(b.delivered.load(Ordering::SeqCst), 1);
        q.shutdown().await;
    }

    #[tokio::test]
    async fn a_queued_request_outlives_its_callers_cancellation() {
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        let b = backend(0, Some(gate.clone()));
        let q = queue(b.clone(), QueueConfig::default());
        q.start().await.unwrap();
        let ctx = RequestContext::background();
        q.export(&ctx, payload()).await.unwrap();
        ctx.cancel.cancel();
        gate.add_permits(1);
        q.shutdown().await;
        assert_eq!(b.delivered.load(Ordering::SeqCst), 1, "acknowledged data is delivered");
    }

    #[tokio::test]
    async fn shutdown_drops_what_cannot_drain_in_time_and_returns() {
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        let b = backend(0, Some(gate));
        let q = QueuedExporter::wrap(
            ComponentId::parse("otlp_rust").unwrap(),
            b.clone(),
            QueueConfig::default(),
            Duration::from_millis(100),
        );
        q.start().await.unwrap();
        q.export(&RequestContext::background(), payload()).await.unwrap();
        tokio::time::timeout(Duration::from_secs(5), q.shutdown())
            .await
            .expect("shutdown is bounded");
        assert_eq!(b.delivered.load(Ordering::SeqCst), 0);
        let err = q.export(&RequestContext::background(), payload()).await.unwrap_err();
        assert!(err.message().contains("shutting down"), "{err}");
    }

    #[test]
    fn go_settings_validate_like_go() {
        let p = |y: &str| {
            serde_yaml::from_str::<QueueConfig>(y)
                .map_err(|e| e.to_string())
                .and_then(|c| c.validate().map_err(|e| format!("{}: {}", e.path, e.message)))
        };
        assert!(p("{}").is_ok());
        assert!(p("{queue_size: 0}").unwrap_err().contains("sending_queue.queue_size"));
        assert!(
            p("{num_consumers: 0}")
                .unwrap_err()
                .contains("sending_queue.num_consumers")
        );
        assert!(
            p("{storage: file_storage}")
                .unwrap_err()
                .contains("sending_queue.storage")
        );
        assert!(
            p("{batch: {flush_timeout: 1s}}")
                .unwrap_err()
                .contains("sending_queue.batch")
        );
        assert!(
            p("{enabled: false, queue_size: 0}").is_ok(),
            "a disabled queue is not checked"
        );
        assert!(p("{sizer: items}").is_ok());
        assert!(p("{sizer: pages}").is_err());
        assert!(p("{queue_sise: 3}").is_err(), "unknown fields are refused");
    }
}
