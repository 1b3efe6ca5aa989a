//! Settings every network exporter shares, with the Go exporterhelper's names,
//! defaults and meaning: `retry_on_failure` (and its backoff), static
//! `headers`, and `forward_metadata` (client metadata keys sent along, `*` =
//! every key).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use tonic::metadata::{AsciiMetadataKey, AsciiMetadataValue};

use super::duration;
use super::error::FieldError;

/// `retry_on_failure`, with the Go exporterhelper's defaults.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RetryConfig {
    pub enabled: bool,
    #[serde(deserialize_with = "duration::deserialize")]
    pub initial_interval: Duration,
    #[serde(deserialize_with = "duration::deserialize")]
    pub max_interval: Duration,
    /// Zero means no limit (like Go).
    #[serde(deserialize_with = "duration::deserialize")]
    pub max_elapsed_time: Duration,
    pub multiplier: f64,
    pub randomization_factor: f64,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            enabled: true,
            initial_interval: Duration::from_secs(5),
            max_interval: Duration::from_secs(30),
            max_elapsed_time: Duration::from_secs(300),
            multiplier: 1.5,
            randomization_factor: 0.5,
        }
    }
}

impl RetryConfig {
    /// The bounds Go's backoff needs, reported at `retry_on_failure`.
    pub fn validate(&self) -> Result<(), FieldError> {
        if self.enabled
            && (self.initial_interval.is_zero()
                || self.multiplier < 1.0
                || !(0.0..=1.0).contains(&self.randomization_factor))
        {
            return Err(FieldError::new(
                "retry_on_failure",
                "initial_interval must be > 0, multiplier >= 1 and randomization_factor within [0, 1]",
            ));
        }
        Ok(())
    }
}

/// How `sending_queue` measures its size, as in Go: whole requests, items
/// (spans, data points, log records) or encoded bytes.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Sizer {
    #[default]
    Requests,
    Items,
    Bytes,
}

/// `sending_queue`, with the Go exporterhelper's names, defaults and meaning:
/// on by default, the caller is answered once the request is queued (unless
/// `wait_for_result`), `num_consumers` exports run at once, and a full queue
/// refuses with a retryable error (or waits, with `block_on_overflow`).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct QueueConfig {
    pub enabled: bool,
    pub wait_for_result: bool,
    pub block_on_overflow: bool,
    pub sizer: Sizer,
    pub queue_size: u64,
    pub num_consumers: usize,
    /// A persistent queue needs a storage extension, which the Rust half does
    /// not have: refused at validation rather than silently kept in memory.
    /// Behind a Go receiver the partitioner moves it to the Go side of the
    /// bridge (docs/queues.md), so it never reaches here.
    pub storage: Option<String>,
    /// Batching inside the queue is not implemented: refused, not ignored.
    pub batch: Option<serde_yaml::Value>,
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            enabled: true,
            wait_for_result: false,
            block_on_overflow: false,
            sizer: Sizer::Requests,
            queue_size: 1000,
            num_consumers: 10,
            storage: None,
            batch: None,
        }
    }
}

impl QueueConfig {
    /// Go's checks, reported at `sending_queue.<field>`.
    pub fn validate(&self) -> Result<(), FieldError> {
        if !self.enabled {
            return Ok(());
        }
        if self.num_consumers == 0 {
            return Err(FieldError::new("sending_queue.num_consumers", "must be positive"));
        }
        if self.queue_size == 0 {
            return Err(FieldError::new("sending_queue.queue_size", "must be positive"));
        }
        if let Some(id) = &self.storage {
            return Err(FieldError::new(
                "sending_queue.storage",
                format!(
                    "a persistent queue ({id}) is not available in the Rust half; \
                     feed this exporter from a Go receiver (the queue then lives on the Go side of the bridge) \
                     or remove storage to queue in memory"
                ),
            ));
        }
        if self.batch.as_ref().is_some_and(|b| !b.is_null()) {
            return Err(FieldError::new(
                "sending_queue.batch",
                "batching inside the queue is not available on Rust exporters; use a batch processor",
            ));
        }
        Ok(())
    }
}

/// Exponential backoff with jitter (the Go exporterhelper's shape).
pub struct Backoff {
    next: Duration,
    cfg: RetryConfig,
    seed: u64,
}

impl Backoff {
    pub fn new(cfg: &RetryConfig) -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x9e3779b97f4a7c15)
            | 1;
        Backoff {
            next: cfg.initial_interval,
            cfg: cfg.clone(),
            seed,
        }
    }

    /// The next delay: the current interval ± randomization, then grow it.
    pub fn next_delay(&mut self) -> Duration {
        // xorshift64: jitter needs spread, not cryptographic randomness.
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        let unit = (self.seed % 10_000) as f64 / 10_000.0; // [0, 1)
        let rf = self.cfg.randomization_factor;
        let factor = 1.0 - rf + 2.0 * rf * unit;
        let delay = self.next.mul_f64(factor);
        self.next = self.next.mul_f64(self.cfg.multiplier).min(self.cfg.max_interval);
        delay
    }
}

impl Backoff {
    /// After a failed attempt: the delay before the next one, or the error to
    /// give up with (retry off, a permanent error, the retry budget spent, or a
    /// delay that would pass the request's deadline). The server's RetryInfo
    /// delay wins when it is longer. Each decision is logged once.
    pub fn after_failure(
        &mut self,
        exporter: &dyn std::fmt::Display,
        attempt: u32,
        err: crate::error::ProcessingError,
        elapsed: Duration,
        remaining: Option<Duration>,
    ) -> Result<Duration, crate::error::ProcessingError> {
        if !self.cfg.enabled || err.is_permanent() {
            tracing::warn!(exporter = %exporter, attempt, error = %err, "export failed, not retryable");
            return Err(err);
        }
        let mut delay = self.next_delay();
        if let Some(server_says) = err.retry_after() {
            delay = delay.max(server_says);
        }
        let max_elapsed = self.cfg.max_elapsed_time;
        if !max_elapsed.is_zero() && elapsed + delay > max_elapsed {
            tracing::warn!(exporter = %exporter, attempt, error = %err, "export failed, retry budget exhausted");
            return Err(err);
        }
        if remaining.is_some_and(|left| delay >= left) {
            tracing::warn!(exporter = %exporter, attempt, error = %err, ?delay, "export failed, next retry would pass the request deadline");
            return Err(err);
        }
        tracing::info!(exporter = %exporter, attempt, error = %err, ?delay, "export failed, retrying");
        Ok(delay)
    }
}

/// The per-request settings the gRPC exporters share, resolved and checked:
/// `timeout`, static `headers`, `forward_metadata` and `retry_on_failure`.
/// Each exporter still lists these keys in its own raw config, because serde
/// cannot flatten into a struct that refuses unknown fields.
#[derive(Clone, Debug)]
pub struct RequestSettings {
    /// One attempt's limit (Go's `timeout`, default [`DEFAULT_TIMEOUT`]).
    pub timeout: Duration,
    pub headers: Vec<(AsciiMetadataKey, AsciiMetadataValue)>,
    pub forward_metadata: Vec<AsciiMetadataKey>,
    /// `forward_metadata: ["*"]`: forward every client-metadata key (what the
    /// partitioner sets on Rust → Go bridges).
    pub forward_all_metadata: bool,
    pub retry: RetryConfig,
}

/// The Go exporters' default `timeout`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// For `#[serde(default = "…")]` on a raw config's `timeout`.
pub fn default_timeout() -> Duration {
    DEFAULT_TIMEOUT
}

impl RequestSettings {
    /// Checks the raw settings, reporting each at its own key.
    pub fn resolve(
        timeout: Duration,
        headers: &BTreeMap<String, String>,
        forward_metadata: &[String],
        retry: RetryConfig,
    ) -> Result<Self, FieldError> {
        if timeout.is_zero() {
            return Err(FieldError::new("timeout", "must be greater than zero"));
        }
        let headers = parse_headers(headers)?;
        let (forward_metadata, forward_all_metadata) = parse_forward_metadata(forward_metadata)?;
        retry.validate()?;
        Ok(RequestSettings {
            timeout,
            headers,
            forward_metadata,
            forward_all_metadata,
            retry,
        })
    }

    /// The client metadata one request carries on, in order: with `*`, every
    /// key a bridge may carry ([`crate::context::bridge_outgoing_key`]) except
    /// those a static header sets, since operator configuration wins; then the
    /// values of each named key.
    pub fn forwarded<'a>(&self, md: &'a crate::context::ClientMetadata) -> Vec<(AsciiMetadataKey, &'a str)> {
        let mut out = Vec::new();
        if self.forward_all_metadata {
            for (k, values) in md.iter() {
                let Some(key) = crate::context::bridge_outgoing_key(k) else {
                    continue;
                };
                if self.headers.iter().any(|(h, _)| h.as_str() == key.as_str()) {
                    continue;
                }
                out.extend(values.into_iter().map(|v| (key.clone(), v)));
            }
        }
        for key in &self.forward_metadata {
            out.extend(md.values(key.as_str()).map(|v| (key.clone(), v)));
        }
        out
    }

    /// Every attempt of one export, as Go's retry sender makes them: each
    /// attempt gets `timeout` or what is left of the request's deadline, if
    /// less; the caller's cancellation or deadline ends the export at once;
    /// a failure waits out the backoff ([`Backoff::after_failure`]) or is the
    /// answer. `attempts` counts the attempts made, for the caller's span.
    pub async fn retry<F, A>(
        &self,
        exporter: &(dyn std::fmt::Display + Sync),
        ctx: &crate::context::RequestContext,
        attempts: &mut u32,
        mut attempt: F,
    ) -> Result<(), crate::error::ProcessingError>
    where
        // Not an async closure: the future of one would not be Send here.
        F: FnMut(Duration) -> A,
        A: Future<Output = Result<(), crate::error::ProcessingError>>,
    {
        // tokio's clock, so tests with paused time see the backoff pass.
        let started = tokio::time::Instant::now();
        let mut backoff = Backoff::new(&self.retry);
        loop {
            *attempts += 1;
            let attempt_no = *attempts;
            let timeout = ctx.remaining().map_or(self.timeout, |r| r.min(self.timeout));
            let err = match ctx.run(async { Ok(attempt(timeout).await) }).await? {
                Ok(()) => return Ok(()),
                Err(e) => e,
            };
            let delay = backoff.after_failure(exporter, attempt_no, err, started.elapsed(), ctx.remaining())?;
            ctx.sleep(delay).await?;
        }
    }
}

/// `headers`: static gRPC metadata, names lower-cased as gRPC sends them.
fn parse_headers(raw: &BTreeMap<String, String>) -> Result<Vec<(AsciiMetadataKey, AsciiMetadataValue)>, FieldError> {
    raw.iter()
        .map(|(k, v)| {
            let key = k
                .to_ascii_lowercase()
                .parse::<AsciiMetadataKey>()
                .map_err(|_| FieldError::new(format!("headers.{k}"), "invalid header name"))?;
            let val = v
                .parse::<AsciiMetadataValue>()
                .map_err(|_| FieldError::new(format!("headers.{k}"), "invalid header value"))?;
            Ok((key, val))
        })
        .collect()
}

/// `forward_metadata`: the keys to forward, and whether `*` asked for all.
fn parse_forward_metadata(raw: &[String]) -> Result<(Vec<AsciiMetadataKey>, bool), FieldError> {
    let all = raw.iter().any(|k| k == "*");
    let mut keys = Vec::new();
    for (i, k) in raw.iter().enumerate() {
        if k == "*" {
            continue;
        }
        let key = k
            .to_ascii_lowercase()
            .parse::<AsciiMetadataKey>()
            .map_err(|_| FieldError::new(format!("forward_metadata[{i}]"), format!("invalid metadata key {k:?}")))?;
        keys.push(key);
    }
    Ok((keys, all))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_failure_gives_up_on_permanent_errors_budget_and_deadline() {
        use crate::error::ProcessingError;
        let mut b = Backoff::new(&RetryConfig {
            initial_interval: Duration::from_millis(100),
            randomization_factor: 0.0,
            max_elapsed_time: Duration::from_secs(1),
            ..RetryConfig::default()
        });
        let retryable = || ProcessingError::retryable("x");
        assert_eq!(
            b.after_failure(&"e", 1, retryable(), Duration::ZERO, None),
            Ok(Duration::from_millis(100))
        );
        assert!(
            b.after_failure(&"e", 2, ProcessingError::permanent("p"), Duration::ZERO, None)
                .is_err()
        );
        assert!(
            b.after_failure(&"e", 3, retryable(), Duration::from_secs(1), None)
                .is_err(),
            "budget spent"
        );
        assert!(
            b.after_failure(&"e", 4, retryable(), Duration::ZERO, Some(Duration::from_millis(10)))
                .is_err(),
            "past the deadline"
        );
        let throttled = ProcessingError::ResourceExhausted {
            message: "t".into(),
            retry_after: Some(Duration::from_millis(700)),
        };
        assert_eq!(
            b.after_failure(&"e", 5, throttled, Duration::ZERO, None),
            Ok(Duration::from_millis(700))
        );
    }

    #[test]
    fn forwarded_keeps_static_headers_and_the_transport_own_keys_out() {
        let headers = BTreeMap::from([("X-Static".to_string(), "op".to_string())]);
        let star = ["*".to_string(), "x-named".to_string()];
        let settings = RequestSettings::resolve(DEFAULT_TIMEOUT, &headers, &star, RetryConfig::default()).unwrap();
        let mut md = crate::context::ClientMetadata::new();
        md.append("x-static", "client");
        md.append("x-tenant", "a");
        md.append("grpc-timeout", "1S");
        md.append("x-named", "n");
        let got: Vec<_> = settings
            .forwarded(&md)
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        assert_eq!(
            got,
            [
                ("x-tenant".to_string(), "a"),
                ("x-named".to_string(), "n"),
                ("x-named".to_string(), "n")
            ],
            "what `*` forwards, then each named key (again)"
        );
        let named = RequestSettings::resolve(DEFAULT_TIMEOUT, &headers, &star[1..], RetryConfig::default()).unwrap();
        assert_eq!(named.forwarded(&md).len(), 1);
        assert_eq!(
            RequestSettings::resolve(Duration::ZERO, &headers, &[], RetryConfig::default())
                .unwrap_err()
                .path,
            "timeout"
        );
    }

    #[test]
    fn backoff_grows_to_the_cap_within_jitter_bounds() {
        let cfg = RetryConfig {
            initial_interval: Duration::from_millis(100),
            max_interval: Duration::from_millis(300),
            multiplier: 2.0,
            randomization_factor: 0.5,
            ..RetryConfig::default()
        };
        let mut b = Backoff::new(&cfg);
        for base in [100u64, 200, 300, 300] {
            let d = b.next_delay().as_millis() as u64;
            assert!(
                d >= base / 2 && d <= base * 3 / 2,
                "delay {d}ms outside ±50% of {base}ms"
            );
        }
    }
}
