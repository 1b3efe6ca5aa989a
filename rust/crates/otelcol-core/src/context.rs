//! The per-request context, propagated forward over OTLP/gRPC:
//! deadline, cancellation, client metadata and W3C trace context.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::error::ProcessingError;

/// Client metadata with case-insensitive keys and ordered multi-values,
/// like the Go collector's `client.Metadata`.
///
/// Every request carries one, so it is stored compactly: all keys (lower
/// case) and values back to back in one string, and one 16-byte entry per
/// (key, value) pair in arrival order; a key's values are its entries in
/// order. Ten keys cost ~0.7 KiB instead of ~2 KiB as owned Strings in Vecs.
#[derive(Clone, Debug, Default)]
pub struct ClientMetadata {
    buf: String,
    entries: Vec<Entry>,
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    key: Range,
    value: Range,
}

#[derive(Clone, Copy, Debug)]
struct Range {
    start: u32,
    len: u32,
}

impl Range {
    /// This range of `buf` (a function of buf alone, so closures that hold
    /// `entries` mutably can still read keys).
    fn of(self, buf: &str) -> &str {
        &buf[self.start as usize..(self.start + self.len) as usize]
    }
}

impl ClientMetadata {
    pub fn new() -> Self {
        Self::default()
    }

    fn with_capacity(entries: usize, bytes: usize) -> Self {
        ClientMetadata {
            buf: String::with_capacity(bytes),
            entries: Vec::with_capacity(entries),
        }
    }

    fn push_str(&mut self, s: &str) -> Range {
        let start = self.buf.len() as u32;
        self.buf.push_str(s);
        Range {
            start,
            len: s.len() as u32,
        }
    }

    fn push_lower(&mut self, s: &str) -> Range {
        let start = self.buf.len() as u32;
        self.buf.extend(s.chars().map(|c| c.to_ascii_lowercase()));
        Range {
            start,
            len: s.len() as u32,
        }
    }

    fn str(&self, r: Range) -> &str {
        r.of(&self.buf)
    }

    /// The key range already stored for `key` (lower case), to share it.
    fn find_key(&self, key: &str) -> Option<Range> {
        self.entries
            .iter()
            .find(|e| self.str(e.key).eq_ignore_ascii_case(key))
            .map(|e| e.key)
    }

    pub fn append(&mut self, key: &str, value: impl AsRef<str>) {
        let key = match self.find_key(key) {
            Some(k) => k,
            None => self.push_lower(key),
        };
        let value = self.push_str(value.as_ref());
        self.entries.push(Entry { key, value });
    }

    /// All values of `key` (any case), in arrival order.
    pub fn values<'a, 'k>(&'a self, key: &'k str) -> impl Iterator<Item = &'a str> + use<'a, 'k> {
        self.entries
            .iter()
            .filter(move |e| self.str(e.key).eq_ignore_ascii_case(key))
            .map(|e| self.str(e.value))
    }

    /// All values of `key` (any case), in arrival order; empty if absent.
    pub fn get(&self, key: &str) -> Vec<&str> {
        self.values(key).collect()
    }

    pub fn first(&self, key: &str) -> Option<&str> {
        self.values(key).next()
    }

    /// Each key (lower case, in order of first arrival) with all its values.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Vec<&str>)> {
        self.entries.iter().enumerate().filter_map(|(i, e)| {
            let k = self.str(e.key);
            let first = !self.entries[..i].iter().any(|p| self.str(p.key) == k);
            first.then(|| (k, self.get(k)))
        })
    }

    /// Number of (key, value) pairs.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Removes `key` (any case) and returns its values.
    pub fn remove(&mut self, key: &str) -> Vec<String> {
        let removed = self.get(key).into_iter().map(str::to_string).collect();
        let buf = &self.buf;
        self.entries.retain(|e| !e.key.of(buf).eq_ignore_ascii_case(key));
        removed
    }

    /// Restores what a Go bridge exporter forwarded under [`BRIDGE_AUTHORITY`]
    /// and [`BRIDGE_USER_AGENT`] (gRPC owns the real headers on the wire), so
    /// components see the original caller's `:authority` and `user-agent`.
    pub fn restore_bridged(&mut self) {
        for (carrier, real) in [(BRIDGE_AUTHORITY, ":authority"), (BRIDGE_USER_AGENT, "user-agent")] {
            if self.first(carrier).is_none() {
                continue;
            }
            let buf = &self.buf;
            self.entries.retain(|e| !e.key.of(buf).eq_ignore_ascii_case(real));
            let real = self.push_str(real);
            for i in 0..self.entries.len() {
                if self.str(self.entries[i].key).eq_ignore_ascii_case(carrier) {
                    self.entries[i].key = real;
                }
            }
        }
    }

    /// Copies gRPC metadata: ASCII entries, as grpc-go's server hands them to
    /// the Go collector — without `-bin` entries and the transport's own
    /// headers (`te`, `content-type`, `grpc-*`), which describe this hop.
    pub fn from_grpc(md: &tonic::metadata::MetadataMap) -> Self {
        let kept = || {
            md.iter().filter_map(|kv| match kv {
                tonic::metadata::KeyAndValueRef::Ascii(k, v) => {
                    let k = k.as_str();
                    let transport = matches!(k, "te" | "content-type") || k.starts_with("grpc-");
                    (!transport).then_some(())?;
                    Some((k, v.to_str().ok()?))
                }
                tonic::metadata::KeyAndValueRef::Binary(..) => None,
            })
        };
        let (n, bytes) = kept().fold((0, 0), |(n, b), (k, v)| (n + 1, b + k.len() + v.len()));
        // Room for the names restore_bridged may add, so it never regrows buf.
        let mut out = ClientMetadata::with_capacity(n, bytes + ":authority".len() + "user-agent".len());
        for (k, v) in kept() {
            out.append(k, v); // HeaderName is lower case already
        }
        out
    }
}

impl ClientMetadata {
    /// Copies HTTP request headers, as the Go receiver's HTTP server hands
    /// them to the collector (every header whose value is text).
    pub fn from_http(headers: &http::HeaderMap) -> Self {
        let kept = || headers.iter().filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?)));
        let (n, bytes) = kept().fold((0, 0), |(n, b), (k, v)| (n + 1, b + k.len() + v.len()));
        let mut out = ClientMetadata::with_capacity(n, bytes);
        for (k, v) in kept() {
            out.append(k, v);
        }
        out
    }
}

/// Equal when the same keys have the same values in the same order.
impl PartialEq for ClientMetadata {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for ClientMetadata {}

/// Header carrying the original `:authority` across a bridge (extension/bridgectxext).
pub const BRIDGE_AUTHORITY: &str = "x-otelcol-hybrid-authority";
/// Header carrying the original `user-agent` across a bridge.
pub const BRIDGE_USER_AGENT: &str = "x-otelcol-hybrid-user-agent";

/// The outgoing gRPC key for a client-metadata key forwarded over a bridge:
/// keys gRPC owns travel under the bridge carriers, transport keys not at all.
pub fn bridge_outgoing_key(key: &str) -> Option<tonic::metadata::AsciiMetadataKey> {
    let key = match key {
        ":authority" => BRIDGE_AUTHORITY,
        "user-agent" => BRIDGE_USER_AGENT,
        "content-type" | "te" | "host" | "connection" | "traceparent" | "tracestate" => return None,
        // HTTP framing / hop-by-hop: they describe the caller's body, not ours
        // (a stale content-length makes an h2 peer reset the stream).
        "content-length" | "content-encoding" | "transfer-encoding" | "keep-alive" | "proxy-connection" | "upgrade"
        | "trailer" => return None,
        k if k.starts_with(':') || k.starts_with("grpc-") => return None,
        k => k,
    };
    key.parse().ok()
}

/// W3C trace context received in `traceparent` / `tracestate`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceContext {
    pub trace_id: [u8; 16],
    pub span_id: [u8; 8],
    pub flags: u8,
    pub trace_state: String,
}

impl TraceContext {
    /// Parses `00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`; all-zero ids
    /// and version `ff` are invalid per the W3C spec.
    pub fn parse(traceparent: &str, tracestate: Option<&str>) -> Option<TraceContext> {
        let parts: Vec<&str> = traceparent.trim().split('-').collect();
        if parts.len() < 4 {
            return None;
        }
        let (version, tid, sid, flags) = (parts[0], parts[1], parts[2], parts[3]);
        if version.len() != 2 || version.eq_ignore_ascii_case("ff") || (version == "00" && parts.len() != 4) {
            return None;
        }
        let mut trace_id = [0u8; 16];
        let mut span_id = [0u8; 8];
        decode_hex(tid, &mut trace_id)?;
        decode_hex(sid, &mut span_id)?;
        let mut f = [0u8; 1];
        decode_hex(flags, &mut f)?;
        if trace_id == [0; 16] || span_id == [0; 8] {
            return None;
        }
        Some(TraceContext {
            trace_id,
            span_id,
            flags: f[0],
            trace_state: tracestate.unwrap_or("").to_string(),
        })
    }

    /// The W3C sampled flag.
    pub fn is_sampled(&self) -> bool {
        self.flags & 1 == 1
    }

    /// The trace id as lower-case hex, without allocating (for log fields).
    pub fn trace_id_display(&self) -> HexId<'_> {
        HexId(&self.trace_id)
    }

    /// The span id as lower-case hex, without allocating (for log fields).
    pub fn span_id_display(&self) -> HexId<'_> {
        HexId(&self.span_id)
    }

    pub fn trace_id_hex(&self) -> String {
        hex(&self.trace_id)
    }

    pub fn span_id_hex(&self) -> String {
        hex(&self.span_id)
    }

    pub fn traceparent(&self) -> String {
        format!("00-{}-{}-{:02x}", self.trace_id_hex(), self.span_id_hex(), self.flags)
    }
}

fn decode_hex(s: &str, out: &mut [u8]) -> Option<()> {
    if s.len() != out.len() * 2 || !s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return None;
    }
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(())
}

fn hex(b: &[u8]) -> String {
    HexId(b).to_string()
}

/// Bytes shown as lower-case hex.
#[derive(Clone, Copy, Debug)]
pub struct HexId<'a>(pub &'a [u8]);

impl std::fmt::Display for HexId<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.iter().try_for_each(|x| write!(f, "{x:02x}"))
    }
}

/// Everything a processor or exporter may need to know about the request it handles.
#[derive(Clone, Debug)]
pub struct RequestContext {
    /// When the caller gives up (from `grpc-timeout`); `None` = no deadline.
    pub deadline: Option<Instant>,
    /// Fired when the caller cancels, the RPC is dropped, or the deadline passes.
    pub cancel: CancellationToken,
    pub metadata: ClientMetadata,
    pub trace: Option<TraceContext>,
}

impl RequestContext {
    /// A context with no deadline and no caller, for internal work and tests.
    pub fn background() -> Self {
        RequestContext {
            deadline: None,
            cancel: CancellationToken::new(),
            metadata: ClientMetadata::new(),
            trace: None,
        }
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.deadline = Some(Instant::now() + timeout);
        self
    }

    /// Time left before the deadline (zero once passed); `None` without a deadline.
    pub fn remaining(&self) -> Option<Duration> {
        self.deadline.map(|d| d.saturating_duration_since(Instant::now()))
    }

    /// Fails fast when the request is already cancelled or past its deadline.
    pub fn check(&self) -> Result<(), ProcessingError> {
        if self.remaining() == Some(Duration::ZERO) {
            return Err(ProcessingError::timeout("request deadline exceeded"));
        }
        if self.cancel.is_cancelled() {
            return Err(ProcessingError::cancelled("request cancelled by the caller"));
        }
        Ok(())
    }

    /// Runs `work` until it finishes, the caller cancels, or the deadline passes,
    /// whichever is first. On deadline the token is cancelled too, so detached
    /// work tied to this request stops.
    pub async fn run<T, F>(&self, work: F) -> Result<T, ProcessingError>
    where
        F: Future<Output = Result<T, ProcessingError>>,
    {
        self.check()?;
        let deadline = async {
            match self.deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            r = work => r,
            _ = self.cancel.cancelled() => Err(ProcessingError::cancelled("request cancelled by the caller")),
            _ = deadline => {
                self.cancel.cancel();
                Err(ProcessingError::timeout("request deadline exceeded"))
            }
        }
    }

    /// Sleeps, but wakes up early with Cancelled/Timeout.
    pub async fn sleep(&self, d: Duration) -> Result<(), ProcessingError> {
        self.run(async {
            tokio::time::sleep(d).await;
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_is_case_insensitive_and_multi_valued() {
        let mut md = ClientMetadata::new();
        md.append("X-Tenant", "a");
        md.append("x-tenant", "b");
        md.append("Authorization", "Bearer t");
        assert_eq!(md.get("X-TENANT"), &["a".to_string(), "b".to_string()]);
        assert_eq!(md.first("authorization"), Some("Bearer t"));
        assert!(md.get("missing").is_empty());
    }

    #[test]
    fn metadata_from_grpc_keeps_every_value() {
        let mut m = tonic::metadata::MetadataMap::new();
        m.append("x-tenant", "a".parse().unwrap());
        m.append("x-tenant", "b".parse().unwrap());
        m.insert("user-agent", "test/1".parse().unwrap());
        m.insert_bin("trace-bin", tonic::metadata::MetadataValue::from_bytes(b"\x00\x01"));
        let md = ClientMetadata::from_grpc(&m);
        assert_eq!(md.get("X-Tenant").len(), 2);
        assert_eq!(md.first("User-Agent"), Some("test/1"));
        assert!(md.get("trace-bin").is_empty());
    }

    #[test]
    fn metadata_from_grpc_drops_the_hops_transport_headers_like_grpc_go() {
        let mut md = tonic::metadata::MetadataMap::new();
        for (k, v) in [
            ("te", "trailers"),
            ("content-type", "application/grpc"),
            ("grpc-timeout", "5S"),
            ("grpc-accept-encoding", "gzip"),
            ("user-agent", "grpc-go/1.83"),
            ("x-tenant", "a"),
        ] {
            md.append(k, v.parse().unwrap());
        }
        md.append("x-tenant", "b".parse().unwrap());
        md.append_bin("x-bin", tonic::metadata::MetadataValue::from_bytes(b"\x00\x01"));
        let m = ClientMetadata::from_grpc(&md);
        let pairs: Vec<(&str, Vec<&str>)> = m.iter().collect();
        assert_eq!(
            pairs,
            vec![("user-agent", vec!["grpc-go/1.83"]), ("x-tenant", vec!["a", "b"])]
        );
        assert_eq!(m.len(), 3);
        // Equality is by content, not by how the bytes are laid out.
        let mut built = ClientMetadata::new();
        built.append("X-Tenant", "a");
        built.append("USER-AGENT", "grpc-go/1.83");
        built.append("x-tenant", "b");
        assert_ne!(m, built, "key order differs");
        let mut same = ClientMetadata::new();
        same.append("user-agent", "grpc-go/1.83");
        same.append("x-tenant", "a");
        same.append("x-tenant", "b");
        assert_eq!(m, same);
        let mut removed = same.clone();
        assert_eq!(removed.remove("X-TENANT"), vec!["a", "b"]);
        assert_eq!(removed.get("x-tenant"), Vec::<&str>::new());
        assert_eq!(removed.first("user-agent"), Some("grpc-go/1.83"));
    }

    #[test]
    fn traceparent_parses_and_rejects_invalid() {
        let tc = TraceContext::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", Some("k=v")).unwrap();
        assert_eq!(tc.trace_id_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(tc.span_id_hex(), "00f067aa0ba902b7");
        assert_eq!(tc.flags, 1);
        assert_eq!(tc.trace_state, "k=v");
        assert_eq!(
            tc.traceparent(),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        );
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
        ] {
            assert!(TraceContext::parse(bad, None).is_none(), "{bad:?}");
        }
    }

    #[tokio::test]
    async fn run_stops_on_deadline_with_timeout_and_cancels_the_token() {
        let ctx = RequestContext::background().with_timeout(Duration::from_millis(20));
        let r = ctx.sleep(Duration::from_secs(60)).await;
        assert_eq!(r.unwrap_err().kind(), "timeout");
        assert!(ctx.cancel.is_cancelled());
    }

    #[tokio::test]
    async fn run_stops_on_cancel() {
        let ctx = RequestContext::background();
        let token = ctx.cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(10)).await;
            token.cancel();
        });
        let r = ctx.sleep(Duration::from_secs(60)).await;
        assert_eq!(r.unwrap_err().kind(), "cancelled");
    }

    #[tokio::test]
    async fn run_returns_work_result_when_in_time() {
        let ctx = RequestContext::background().with_timeout(Duration::from_secs(60));
        assert_eq!(ctx.run(async { Ok(7) }).await.unwrap(), 7);
    }

    #[test]
    fn bridged_authority_and_user_agent_replace_the_bridge_hop_values() {
        let mut md = ClientMetadata::new();
        md.append(":authority", "localhost");
        md.append("user-agent", "grpc-go/1.83");
        md.append(BRIDGE_AUTHORITY, "collector.example:4317");
        md.append(BRIDGE_USER_AGENT, "telemetrygen/0.161");
        md.append("X-Tenant", "a");
        md.append("x-tenant", "b");
        md.restore_bridged();
        assert_eq!(md.get(":authority"), ["collector.example:4317"]);
        assert_eq!(md.get("User-Agent"), ["telemetrygen/0.161"]);
        assert!(md.get(BRIDGE_AUTHORITY).is_empty());
        assert_eq!(md.get("x-tenant"), ["a", "b"]);
    }

    #[test]
    fn without_a_bridge_nothing_is_restored() {
        let mut md = ClientMetadata::new();
        md.append(":authority", "direct:4317");
        md.restore_bridged();
        assert_eq!(md.get(":authority"), ["direct:4317"]);
    }

    #[test]
    fn bridge_outgoing_keys() {
        assert_eq!(bridge_outgoing_key(":authority").unwrap().as_str(), BRIDGE_AUTHORITY);
        assert_eq!(bridge_outgoing_key("user-agent").unwrap().as_str(), BRIDGE_USER_AGENT);
        assert_eq!(bridge_outgoing_key("x-tenant").unwrap().as_str(), "x-tenant");
        for k in [
            "grpc-timeout",
            "content-type",
            "te",
            ":path",
            "traceparent",
            "content-length",
            "transfer-encoding",
        ] {
            assert!(bridge_outgoing_key(k).is_none(), "{k} must not be forwarded");
        }
    }
}
