//! Processor `fault`, for tests and demos: fails requests with a chosen
//! ProcessingError (all, matching ones, or every Nth) and/or delays them while
//! honouring the request's cancellation and deadline.

mod config;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use otelcol_core::config::FieldError;
use otelcol_core::registry::{PROCESSORS, ProcessorFactory};
use otelcol_core::{ComponentId, Payload, ProcessingError, Processor, RequestContext, Signal, async_trait};

pub use config::FaultConfig;

#[otelcol_core::linkme::distributed_slice(PROCESSORS)]
#[linkme(crate = otelcol_core::linkme)]
static FAULT: ProcessorFactory = ProcessorFactory {
    type_name: "fault",
    signals: &[Signal::Traces, Signal::Metrics, Signal::Logs],
    create,
};

fn create(id: &ComponentId, value: serde_yaml::Value) -> Result<Arc<dyn Processor>, FieldError> {
    Ok(Arc::new(Fault {
        id: id.clone(),
        cfg: config::parse(value)?,
        requests: AtomicU64::new(0),
    }))
}

pub struct Fault {
    id: ComponentId,
    cfg: FaultConfig,
    requests: AtomicU64,
}

impl Fault {
    fn should_fail(&self, n: u64, data: &Payload) -> bool {
        if self.cfg.error.is_none() {
            return false;
        }
        let has_selectors = self.cfg.selector.is_some();
        match (self.cfg.every_nth, has_selectors) {
            (None, false) => true,
            (nth, _) => {
                nth.is_some_and(|k| n.is_multiple_of(k)) || self.cfg.selector.as_ref().is_some_and(|s| s.matches(data))
            }
        }
    }
}

#[async_trait]
impl Processor for Fault {
    async fn process(&self, ctx: &RequestContext, data: Payload) -> Result<Option<Payload>, ProcessingError> {
        let n = self.requests.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(d) = self.cfg.delay {
            tracing::info!(processor = %self.id, delay = ?d, "fault: delaying request");
            if let Err(e) = ctx.sleep(d).await {
                tracing::info!(processor = %self.id, error = %e, "fault: delay interrupted");
                return Err(e);
            }
        }
        if self.should_fail(n, &data) {
            let err = self.cfg.make_error();
            tracing::info!(processor = %self.id, request = n, error = %err, "fault: injecting error");
            return Err(err);
        }
        Ok(Some(data))
    }
}
