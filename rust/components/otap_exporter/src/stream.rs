//! One OTel Arrow gRPC stream at a time per slot: the slot's task opens a
//! stream when work arrives, writes `BatchArrowRecords` with its own IPC state,
//! and answers each batch's caller when the `BatchStatus` with that batch_id
//! comes back. A stream that breaks fails its in-flight batches as retryable
//! (the caller sends them again, on a fresh stream with fresh IPC state); a
//! stream older than `max_stream_lifetime` half-closes and hands its slot to a
//! new stream at once, while its in-flight batches wait, for at most the
//! export `timeout`, for their answers in the background.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use http::uri::PathAndQuery;
use otel_arrow_dfe_pdata::OtapArrowRecords;
use otel_arrow_dfe_pdata::proto::opentelemetry::arrow::v1::{BatchArrowRecords, BatchStatus, StatusCode};
use otelcol_core::{ProcessingError, Signal};
use tokio::sync::{mpsc, oneshot};
use tokio_stream::wrappers::UnboundedReceiverStream;
use tonic::codec::CompressionEncoding;
use tonic::metadata::MetadataMap;
use tonic::{Code, Request, Status, Streaming};

use crate::config::PayloadCompression;
use crate::encode::StreamEncoder;

/// How one batch ended.
#[derive(Debug)]
pub enum Outcome {
    Ok,
    /// The batch's BatchStatus, or the failure of its stream.
    Failed(ProcessingError),
    /// The server does not implement this Arrow service.
    Unimplemented(String),
}

pub struct Job {
    pub records: OtapArrowRecords,
    /// HPACK block of per-batch metadata.
    pub headers: Vec<u8>,
    pub reply: oneshot::Sender<Outcome>,
}

/// What every stream of one signal shares.
pub struct StreamSettings {
    pub exporter: Arc<str>,
    pub signal: Signal,
    pub channel: crate::zstd_level::Transport,
    pub metadata: MetadataMap,
    pub compression: Option<CompressionEncoding>,
    pub payload_compression: PayloadCompression,
    pub max_lifetime: Duration,
    /// How long a retired stream's in-flight batches may wait for their
    /// BatchStatus (the export `timeout`).
    pub drain_timeout: Duration,
}

/// A handle on one stream slot; `load` counts the batches queued or in flight.
pub struct Slot {
    tx: mpsc::Sender<Job>,
    load: Arc<AtomicUsize>,
}

impl Slot {
    pub fn spawn(settings: Arc<StreamSettings>) -> Slot {
        let (tx, rx) = mpsc::channel(1024);
        let load = Arc::new(AtomicUsize::new(0));
        tokio::spawn(run(settings, rx));
        Slot { tx, load }
    }

    pub fn load(&self) -> usize {
        self.load.load(Ordering::Relaxed)
    }

    /// Sends one batch and waits for its outcome.
    pub async fn send(&self, records: OtapArrowRecords, headers: Vec<u8>) -> Outcome {
        let (reply, answer) = oneshot::channel();
        self.load.fetch_add(1, Ordering::Relaxed);
        let _load = LoadGuard(&self.load);
        if self
            .tx
            .send(Job {
                records,
                headers,
                reply,
            })
            .await
            .is_err()
        {
            return Outcome::Failed(ProcessingError::retryable("otap stream task has stopped"));
        }
        answer
            .await
            .unwrap_or_else(|_| Outcome::Failed(ProcessingError::retryable("otap stream ended without an answer")))
    }
}

struct LoadGuard<'a>(&'a AtomicUsize);

impl Drop for LoadGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

fn path(signal: Signal) -> PathAndQuery {
    PathAndQuery::from_static(match signal {
        Signal::Traces => "/opentelemetry.proto.experimental.arrow.v1.ArrowTracesService/ArrowTraces",
        Signal::Metrics => "/opentelemetry.proto.experimental.arrow.v1.ArrowMetricsService/ArrowMetrics",
        Signal::Logs => "/opentelemetry.proto.experimental.arrow.v1.ArrowLogsService/ArrowLogs",
    })
}

/// Waits between stream attempts after failures, so a server that is down is
/// not redialled in a tight loop; reset by the first OK status.
struct Reconnect {
    next: Duration,
}

const RECONNECT_MIN: Duration = Duration::from_millis(50);
const RECONNECT_MAX: Duration = Duration::from_secs(5);

async fn run(settings: Arc<StreamSettings>, mut rx: mpsc::Receiver<Job>) {
    let mut reconnect = Reconnect { next: Duration::ZERO };
    loop {
        let first = match rx.recv().await {
            Some(job) => job,
            None => return, // the exporter is gone
        };
        if !reconnect.next.is_zero() {
            tokio::time::sleep(reconnect.next).await;
        }
        let end = one_stream(&settings, first, &mut rx).await;
        reconnect.next = match end {
            StreamEnd::Healthy => Duration::ZERO,
            StreamEnd::Failed => (reconnect.next * 2).clamp(RECONNECT_MIN, RECONNECT_MAX),
        };
    }
}

enum StreamEnd {
    /// Retired after its lifetime, or closed by the server after answering everything.
    Healthy,
    Failed,
}

/// In-flight batches of one stream, by batch_id.
type Pending = HashMap<i64, oneshot::Sender<Outcome>>;

fn submit(enc: &mut StreamEncoder, job: Job, out: &mpsc::UnboundedSender<BatchArrowRecords>, pending: &mut Pending) {
    match enc.batch(&job.records, job.headers) {
        Ok(bar) => {
            let id = bar.batch_id;
            if out.send(bar).is_err() {
                let _ = job.reply.send(Outcome::Failed(ProcessingError::retryable(
                    "otap stream closed before sending",
                )));
                return;
            }
            pending.insert(id, job.reply);
        }
        Err(e) => {
            let _ = job.reply.send(Outcome::Failed(ProcessingError::permanent(e)));
        }
    }
}

type Call = Pin<Box<dyn Future<Output = Result<tonic::Response<Streaming<BatchStatus>>, Status>> + Send>>;

/// The receiving half of one stream: the call until the server's response
/// headers arrive, then its BatchStatus messages. It owns both so that a
/// retiring stream can be handed, still unanswered, to a background drain.
struct Answers {
    /// Until it resolves (a finished future must not be polled again).
    call: Option<Call>,
    inbound: Option<Streaming<BatchStatus>>,
}

impl Answers {
    /// The next BatchStatus; `Ok(None)` when the server ended the stream.
    /// Cancel-safe: the call is only polled through a reference, and
    /// `Streaming::message` keeps partial messages in the stream.
    async fn next(&mut self) -> Result<Option<BatchStatus>, Status> {
        if let Some(call) = &mut self.call {
            let resp = call.as_mut().await;
            self.call = None;
            self.inbound = Some(resp?.into_inner());
        }
        match &mut self.inbound {
            Some(s) => s.message().await,
            None => Err(Status::unavailable("the stream's call failed")),
        }
    }
}

/// Hands a BatchStatus to the caller of its batch; true if it was OK.
fn answer(s: &StreamSettings, pending: &mut Pending, st: &BatchStatus) -> bool {
    match pending.remove(&st.batch_id) {
        Some(reply) => {
            let _ = reply.send(batch_outcome(st));
        }
        None => {
            tracing::warn!(exporter = %s.exporter, signal = %s.signal, batch_id = st.batch_id, "BatchStatus for an unknown batch")
        }
    }
    st.status_code == StatusCode::Ok as i32
}

/// Fails every batch still in flight on a stream that ended with `failure`.
fn fail_pending(s: &StreamSettings, pending: &mut Pending, failure: &Status) {
    if pending.is_empty() {
        return;
    }
    tracing::info!(exporter = %s.exporter, signal = %s.signal, in_flight = pending.len(), code = ?failure.code(), error = failure.message(), "otap stream failed");
    // grpc-go also answers Unimplemented to a compression it lacks; that is
    // a settings problem (`compression`), not a server without OTel Arrow.
    let outcome = |f: &Status| match f.code() {
        Code::Unimplemented if !f.message().contains("grpc-encoding") => {
            Outcome::Unimplemented(f.message().to_string())
        }
        _ => Outcome::Failed(stream_error(f)),
    };
    for (_, reply) in pending.drain() {
        let _ = reply.send(outcome(failure));
    }
}

async fn one_stream(s: &Arc<StreamSettings>, first: Job, rx: &mut mpsc::Receiver<Job>) -> StreamEnd {
    let mut enc = StreamEncoder::new(s.payload_compression);
    let (out_tx, out_rx) = mpsc::unbounded_channel();
    let mut pending = Pending::new();
    submit(&mut enc, first, &out_tx, &mut pending);

    // grpc-go servers send response headers with the first BatchStatus, so
    // the call resolves only after a batch was answered: it runs beside the
    // writes instead of before them.
    let mut grpc = tonic::client::Grpc::new(s.channel.clone())
        .accept_compressed(CompressionEncoding::Gzip)
        .accept_compressed(CompressionEncoding::Zstd)
        .max_decoding_message_size(16 << 20);
    if let Some(c) = s.compression {
        grpc = grpc.send_compressed(c);
    }
    let mut req = Request::new(UnboundedReceiverStream::new(out_rx));
    *req.metadata_mut() = s.metadata.clone();
    let signal = s.signal;
    let mut answers = Answers {
        call: Some(Box::pin(async move {
            grpc.ready()
                .await
                .map_err(|e| Status::unavailable(format!("not connected: {e}")))?;
            grpc.streaming(
                req,
                path(signal),
                tonic_prost::ProstCodec::<BatchArrowRecords, BatchStatus>::default(),
            )
            .await
        })),
        inbound: None,
    };
    let retire = tokio::time::sleep(s.max_lifetime);
    tokio::pin!(retire);
    let mut healthy = false;

    let failure: Status = loop {
        tokio::select! {
            msg = answers.next() => match msg {
                Ok(Some(st)) => healthy |= answer(s, &mut pending, &st),
                Ok(None) => {
                    if pending.is_empty() {
                        return StreamEnd::Healthy;
                    }
                    break Status::unavailable("the server closed the stream with batches in flight");
                }
                Err(status) => break status,
            },
            job = rx.recv() => match job {
                Some(job) => submit(&mut enc, job, &out_tx, &mut pending),
                None => return StreamEnd::Healthy,
            },
            () = &mut retire => {
                // Half-close, and give the slot to a new stream at once: a
                // server that never ends this one must not hold up new
                // batches. The batches in flight get the export timeout to be
                // answered in the background, then are failed as retryable.
                tracing::debug!(exporter = %s.exporter, signal = %s.signal, in_flight = pending.len(), "stream reached max_stream_lifetime");
                drop(out_tx);
                if !pending.is_empty() {
                    tokio::spawn(drain(s.clone(), answers, pending));
                }
                return StreamEnd::Healthy;
            },
        }
    };

    fail_pending(s, &mut pending, &failure);
    if healthy { StreamEnd::Healthy } else { StreamEnd::Failed }
}

/// A retired (half-closed) stream's last answers, for at most `drain_timeout`.
/// What is unanswered by then fails as retryable and is sent again on another
/// stream; dropping the stream then resets it, so the server lets go of it too.
async fn drain(s: Arc<StreamSettings>, mut answers: Answers, mut pending: Pending) {
    let deadline = tokio::time::sleep(s.drain_timeout);
    tokio::pin!(deadline);
    let failure = loop {
        tokio::select! {
            msg = answers.next() => match msg {
                Ok(Some(st)) => {
                    answer(&s, &mut pending, &st);
                    if pending.is_empty() {
                        return;
                    }
                }
                Ok(None) => break Status::unavailable("the server closed a retired stream with batches in flight"),
                Err(status) => break status,
            },
            () = &mut deadline => break Status::deadline_exceeded(format!(
                "no BatchStatus within {:?} after the stream reached max_stream_lifetime",
                s.drain_timeout
            )),
        }
    };
    fail_pending(&s, &mut pending, &failure);
}

/// A batch's own status, mapped onto the collector's error classes:
/// Unavailable and ResourceExhausted are retried, InvalidArgument and the
/// other refusals are permanent.
fn batch_outcome(st: &BatchStatus) -> Outcome {
    let message = format!("{}: {}", status_name(st.status_code), st.status_message);
    let code = StatusCode::try_from(st.status_code).ok();
    Outcome::Failed(match code {
        Some(StatusCode::Ok) => return Outcome::Ok,
        Some(StatusCode::ResourceExhausted) => ProcessingError::ResourceExhausted {
            message,
            retry_after: None,
        },
        Some(StatusCode::Unavailable) => ProcessingError::Retryable {
            message,
            code: Some(Code::Unavailable),
        },
        Some(StatusCode::Canceled) => ProcessingError::Retryable {
            message,
            code: Some(Code::Cancelled),
        },
        Some(StatusCode::DeadlineExceeded) => ProcessingError::Retryable {
            message,
            code: Some(Code::DeadlineExceeded),
        },
        Some(StatusCode::Aborted) => ProcessingError::Retryable {
            message,
            code: Some(Code::Aborted),
        },
        Some(StatusCode::InvalidArgument) => ProcessingError::Permanent {
            message,
            code: Some(Code::InvalidArgument),
        },
        Some(StatusCode::PermissionDenied) => ProcessingError::Permanent {
            message,
            code: Some(Code::PermissionDenied),
        },
        Some(StatusCode::Unauthenticated) => ProcessingError::Permanent {
            message,
            code: Some(Code::Unauthenticated),
        },
        Some(StatusCode::Internal) => ProcessingError::Permanent {
            message,
            code: Some(Code::Internal),
        },
        None => ProcessingError::Permanent {
            message,
            code: Some(Code::Unknown),
        },
    })
}

fn status_name(code: i32) -> &'static str {
    StatusCode::try_from(code).map_or("UNKNOWN", |c| c.as_str_name())
}

/// The failure of a stream, for the batches that were in flight on it. The
/// server saw them but never answered, so they are retried unless the server
/// refused the stream itself (authentication, permission…). A transport that
/// broke shows up as Unknown or Internal and is retried too.
fn stream_error(status: &Status) -> ProcessingError {
    match status.code() {
        Code::Unknown | Code::Internal | Code::Ok => ProcessingError::Retryable {
            message: format!("stream broke: {:?}: {}", status.code(), status.message()),
            code: Some(Code::Unavailable),
        },
        Code::ResourceExhausted => match ProcessingError::from_status(status) {
            e @ ProcessingError::ResourceExhausted { .. } => e,
            _ => ProcessingError::ResourceExhausted {
                message: format!("{:?}: {}", status.code(), status.message()),
                retry_after: None,
            },
        },
        _ => ProcessingError::from_status(status),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(code: StatusCode) -> ProcessingError {
        match batch_outcome(&BatchStatus {
            batch_id: 1,
            status_code: code as i32,
            status_message: "m".into(),
        }) {
            Outcome::Failed(e) => e,
            o => panic!("{o:?}"),
        }
    }

    #[test]
    fn batch_status_classes() {
        assert!(matches!(
            batch_outcome(&BatchStatus {
                batch_id: 0,
                status_code: 0,
                status_message: String::new()
            }),
            Outcome::Ok
        ));
        assert!(!failed(StatusCode::Unavailable).is_permanent());
        assert_eq!(failed(StatusCode::Unavailable).grpc_code(), Code::Unavailable);
        let re = failed(StatusCode::ResourceExhausted);
        assert!(!re.is_permanent());
        assert_eq!(re.kind(), "resource_exhausted");
        // A BatchStatus has no field for a delay: the retry waits the backoff.
        assert_eq!(re.retry_after(), None);
        let ia = failed(StatusCode::InvalidArgument);
        assert!(ia.is_permanent());
        assert_eq!(ia.grpc_code(), Code::InvalidArgument);
        assert!(ia.message().contains("INVALID_ARGUMENT: m"), "{ia}");
        assert!(failed(StatusCode::Unauthenticated).is_permanent());
    }

    #[test]
    fn broken_streams_are_retried_refused_ones_are_not() {
        assert!(!stream_error(&Status::unknown("h2 protocol error")).is_permanent());
        assert!(!stream_error(&Status::internal("connection reset")).is_permanent());
        assert!(!stream_error(&Status::unavailable("gone")).is_permanent());
        assert!(!stream_error(&Status::resource_exhausted("later")).is_permanent());
        assert!(stream_error(&Status::permission_denied("no")).is_permanent());
    }

    #[test]
    fn a_stream_refused_with_retry_info_carries_its_delay() {
        let delay = Duration::from_millis(1500);
        let status = ProcessingError::ResourceExhausted {
            message: "slow down".into(),
            retry_after: Some(delay),
        }
        .to_status();
        let e = stream_error(&status);
        assert!(!e.is_permanent());
        assert_eq!(e.retry_after(), Some(delay));
        // Without RetryInfo it is still retried, after the ordinary backoff.
        let bare = stream_error(&Status::resource_exhausted("later"));
        assert_eq!((bare.kind(), bare.retry_after()), ("resource_exhausted", None));
    }
}
