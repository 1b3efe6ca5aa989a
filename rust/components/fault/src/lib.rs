//! Processor `fault`, for tests and demos: fails requests with a chosen
//! ProcessingError (all, matching ones, or every Nth) and/or delays them while
//! honouring the request's cancellation and deadline. Selectors may look at
//! the request's client metadata (`metadata: {key: glob}`), and `times: N`
//! stops faulting after N requests so tests can watch a retry succeed.

mod config;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use otelcol_core::config::FieldError;
use otelcol_core::{ComponentId, Payload, ProcessingError, Processor, RequestContext, async_trait};

pub use config::FaultConfig;

otelcol_core::register!(processor FAULT = "fault", [Traces, Metrics, Logs], create);

fn create(id: &ComponentId, value: serde_yaml::Value) -> Result<Arc<dyn Processor>, FieldError> {
    Ok(Arc::new(Fault {
        id: id.clone(),
        cfg: config::parse(value)?,
        requests: AtomicU64::new(0),
        faulted: AtomicU64::new(0),
    }))
}

pub struct Fault {
    id: ComponentId,
    cfg: FaultConfig,
    requests: AtomicU64,
    faulted: AtomicU64,
}

impl Fault {
    /// Claims one of the `times` faults; false once they are used up.
    fn claim(&self) -> bool {
        match self.cfg.times {
            None => true,
            Some(max) => self
                .faulted
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |f| (f < max).then_some(f + 1))
                .is_ok(),
        }
    }

    fn should_fail(&self, n: u64, ctx: &RequestContext, data: &Payload) -> bool {
        if self.cfg.error.is_none() {
            return false;
        }
        let has_selectors = self.cfg.selector.is_some();
        match (self.cfg.every_nth, has_selectors) {
            (None, false) => true,
            (nth, _) => {
                nth.is_some_and(|k| n.is_multiple_of(k))
                    || self
                        .cfg
                        .selector
                        .as_ref()
                        .is_some_and(|s| s.matches(&ctx.metadata, data))
            }
        }
    }
}

#[async_trait]
impl Processor for Fault {
    async fn process(&self, ctx: &RequestContext, data: Payload) -> Result<Option<Payload>, ProcessingError> {
        let n = self.requests.fetch_add(1, Ordering::Relaxed) + 1;
        let fail = self.should_fail(n, ctx, &data);
        // With an error configured, only failing requests count against `times`
        // (and get the delay); a delay-only fault delays every request.
        let touched = if self.cfg.error.is_some() {
            fail
        } else {
            self.cfg.delay.is_some()
        };
        if !touched || !self.claim() {
            tracing::debug!(processor = %self.id, request = n, "fault: passing request through");
            return Ok(Some(data));
        }
        if let Some(d) = self.cfg.delay {
            let deadline_ms = ctx.remaining().map(|r| r.as_millis() as u64);
            tracing::info!(processor = %self.id, request = n, delay = ?d, deadline_ms, "fault: delaying request");
            let started = std::time::Instant::now();
            if let Err(e) = ctx.sleep(d).await {
                let waited_ms = started.elapsed().as_millis() as u64;
                tracing::info!(processor = %self.id, request = n, kind = e.kind(), waited_ms, error = %e, "fault: delay interrupted");
                return Err(e);
            }
        }
        if fail {
            let err = self.cfg.make_error();
            tracing::info!(processor = %self.id, request = n, error = %err, "fault: injecting error");
            return Err(err);
        }
        Ok(Some(data))
    }
}
