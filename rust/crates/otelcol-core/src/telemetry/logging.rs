//! JSON logs on stderr, one object per line, so the Go parent can re-emit them:
//! `{"timestamp","level","target","message", …fields, "span":{…}}`.

use tracing_subscriber::EnvFilter;

/// `level` is `service.telemetry.logs.level` (debug|info|warn|error); the
/// `OTELCOL_RUST_LOG` env var, when set, overrides it with a full filter.
pub fn init(level: Option<&str>) {
    init_with_writer(level, std::io::stderr);
}

/// The same lines, written through `writer` (in-process, the embedded mode
/// hands each line to Go). One definition keeps the line format the Go side
/// parses identical in both modes. Later calls keep the first subscriber.
pub fn init_with_writer<W>(level: Option<&str>, writer: W)
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = std::env::var("OTELCOL_RUST_LOG")
        .ok()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new(level.unwrap_or("info")));
    let _ = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(true)
        .with_env_filter(filter)
        .with_writer(writer)
        .try_init();
}

/// Maps `service.telemetry.logs.level` (the Go collector's zap levels, any
/// case) to a tracing level; zap's levels above error become error.
pub fn normalize_level(level: &str) -> Result<&'static str, String> {
    match level.to_ascii_lowercase().as_str() {
        "debug" => Ok("debug"),
        "info" => Ok("info"),
        "warn" => Ok("warn"),
        "error" | "dpanic" | "panic" | "fatal" => Ok("error"),
        _ => Err(format!(
            "invalid log level {level:?} (expected debug, info, warn or error)"
        )),
    }
}

/// The tracing span a receiver runs one request under: every log line of the
/// request names the receiver, the signal and, when the request is traced,
/// its trace and span ids. Receivers at both ends of a bridge (socket or in
/// process) use it, so a request's lines read the same in either mode.
pub fn request_span(
    receiver: &dyn std::fmt::Display,
    signal: crate::Signal,
    trace: Option<&crate::TraceContext>,
) -> tracing::Span {
    let span = tracing::info_span!(
        "request",
        receiver = %receiver,
        signal = %signal,
        trace_id = tracing::field::Empty,
        span_id = tracing::field::Empty
    );
    if let Some(t) = trace {
        span.record("trace_id", tracing::field::display(t.trace_id_display()));
        span.record("span_id", tracing::field::display(t.span_id_display()));
    }
    span
}
