//! Exporter `ffi_bridge`: the Rust end of a Rust → Go crossing in embedded
//! mode. It calls the Go side's export callback with the encoded request
//! and awaits Go's answer (`otelcol_ffi_export_done`) without holding a
//! thread; when its own caller cancels or the deadline passes first, it
//! tells Go to cancel the request.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

use otelcol_core::config::exporter::{Backoff, RetryConfig};
use otelcol_core::config::{FieldError, parse_component_config};
use otelcol_core::{ComponentId, Exporter, Payload, ProcessingError, RequestContext, async_trait};
use serde::Deserialize;
use tokio::sync::oneshot;

use crate::abi::{OTELCOL_SIGNAL_LOGS, OTELCOL_SIGNAL_METRICS, OTELCOL_SIGNAL_TRACES};
use crate::bridge_receiver::bridge_name;

otelcol_core::register!(exporter FFI_BRIDGE_EXPORTER = "ffi_bridge", [Traces, Metrics, Logs], create);

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    /// Bounds one export, as the gRPC bridge exporter's `timeout` does: the
    /// request's deadline is the earlier of its own and this.
    #[serde(default, deserialize_with = "otelcol_core::duration::deserialize_opt")]
    timeout: Option<std::time::Duration>,
    /// Retries what the Go side calls retryable, as the gRPC bridge
    /// exporter's `retry_on_failure` does (the shared backoff).
    #[serde(default)]
    retry_on_failure: RetryConfig,
}

fn create(id: &ComponentId, value: serde_yaml::Value) -> Result<Arc<dyn Exporter>, FieldError> {
    let raw: RawConfig = parse_component_config(value)?;
    raw.retry_on_failure.validate()?;
    Ok(Arc::new(BridgeExporter {
        id: id.clone(),
        name: bridge_name(id).to_string(),
        timeout: raw.timeout,
        retry: raw.retry_on_failure,
    }))
}

type Answer = Result<(), ProcessingError>;

/// Exports waiting for Go's answer, by call id.
static PENDING: LazyLock<Mutex<HashMap<u64, oneshot::Sender<Answer>>>> = LazyLock::new(Default::default);
/// Call ids of Rust → Go exports; odd, so they never equal a Go-chosen id in logs.
static NEXT_CALL: AtomicU64 = AtomicU64::new(1);

fn pending() -> std::sync::MutexGuard<'static, HashMap<u64, oneshot::Sender<Answer>>> {
    PENDING.lock().unwrap_or_else(|p| p.into_inner())
}

/// Delivers Go's answer for `call_id`; false when nobody waits any more
/// (the export was cancelled, or the id is unknown).
pub fn answer(call_id: u64, result: Answer) -> bool {
    match pending().remove(&call_id) {
        Some(tx) => tx.send(result).is_ok(),
        None => false,
    }
}

/// Exports currently waiting for Go (tests and leak checks).
pub fn waiting() -> usize {
    pending().len()
}

/// Removes the pending entry when the export ends, whichever way; if Go had
/// not answered yet, Go is told to cancel.
struct Waiting(u64);

impl Drop for Waiting {
    fn drop(&mut self) {
        if pending().remove(&self.0).is_none() {
            return;
        }
        if let Some(cancel) = crate::callbacks::get().and_then(|c| c.cancel_export) {
            // SAFETY: a plain function pointer registered by the Go side.
            unsafe { cancel(self.0) };
        }
    }
}

struct BridgeExporter {
    id: ComponentId,
    name: String,
    timeout: Option<std::time::Duration>,
    retry: RetryConfig,
}

#[async_trait]
impl Exporter for BridgeExporter {
    async fn export(&self, ctx: &RequestContext, data: Payload) -> Result<(), ProcessingError> {
        let bounded;
        let ctx = match self.timeout {
            Some(t) if ctx.remaining().is_none_or(|left| left > t) => {
                let mut c = ctx.clone();
                c.deadline = Some(tokio::time::Instant::now() + t);
                bounded = c;
                &bounded
            }
            _ => ctx,
        };
        let started = std::time::Instant::now();
        let mut backoff = Backoff::new(&self.retry);
        for attempt in 1.. {
            let err = match self.attempt(ctx, &data).await {
                Ok(()) => return Ok(()),
                Err(e) => e,
            };
            let delay = backoff.after_failure(&self.id, attempt, err, started.elapsed(), ctx.remaining())?;
            ctx.sleep(delay).await?;
        }
        unreachable!("the retry loop returns")
    }
}

impl BridgeExporter {
    /// One call into Go and the wait for its answer.
    async fn attempt(&self, ctx: &RequestContext, data: &Payload) -> Result<(), ProcessingError> {
        let Some(export) = crate::callbacks::get().and_then(|c| c.export) else {
            return Err(ProcessingError::retryable(
                "no Go side is registered for ffi_bridge exports",
            ));
        };
        ctx.check()?;
        let call_id = NEXT_CALL.fetch_add(2, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        pending().insert(call_id, tx);
        let waiting = Waiting(call_id);
        let signal = match data.signal() {
            otelcol_core::Signal::Traces => OTELCOL_SIGNAL_TRACES,
            otelcol_core::Signal::Metrics => OTELCOL_SIGNAL_METRICS,
            otelcol_core::Signal::Logs => OTELCOL_SIGNAL_LOGS,
        };
        {
            let c = crate::context::Outgoing::new(ctx, call_id);
            let bytes = data.bytes();
            // SAFETY: every pointer passed lives until the call returns, and
            // the Go side copies what it keeps before returning.
            unsafe {
                export(
                    self.name.as_ptr(),
                    self.name.len(),
                    signal,
                    bytes.as_ptr(),
                    bytes.len(),
                    c.as_ptr(),
                    call_id,
                )
            };
        }
        let r = ctx
            .run(async {
                rx.await
                    .unwrap_or_else(|_| Err(ProcessingError::retryable("the Go side dropped the export")))
            })
            .await;
        drop(waiting);
        r
    }
}
