//! Where a sending queue keeps what it acknowledged, so that a restarted
//! child delivers it.
//!
//! A queue that answers its caller on enqueue has promised delivery. In the
//! hybrid collector the child is supervised: it is killed and started again
//! when it crashes, hangs or stops answering its health check, while the
//! collector keeps running. Requests held only in the queue's memory would be
//! lost by a restart the operator never asked for. So, when the parent names
//! a spool directory (`OTELCOL_RUST_SPOOL_DIR`, inside its private runtime
//! dir), each acknowledged request is also written there as one file before
//! the caller is answered, and removed once its export ends. A new child
//! finds the files of the one before it and queues them again.
//!
//! A file is written whole under a temporary name and renamed, so a kill
//! mid-write leaves a `.tmp` that was never acknowledged and is discarded.
//! Files live in the page cache: they survive the death of the process, not
//! of the machine (the parent removes its runtime dir at shutdown anyway; a
//! queue that must outlive the collector is Go's persistent queue,
//! `sending_queue.storage`). Delivery is at least once: a request whose export
//! was cut by the kill is sent again.

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;

use crate::model::InvalidPayload;
use crate::{ClientMetadata, ComponentId, Payload, RequestContext, Signal, TraceContext};

/// The environment variable naming the directory under which each queued
/// exporter keeps its spool (one subdirectory per exporter id).
pub const SPOOL_DIR_ENV: &str = "OTELCOL_RUST_SPOOL_DIR";

const MAGIC: &[u8; 4] = b"OQS1";
const SUFFIX: &str = "req";

/// The spool root the parent named, if any.
pub fn root_from_env() -> Option<PathBuf> {
    std::env::var_os(SPOOL_DIR_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// One exporter's spool directory.
pub struct Spool {
    dir: PathBuf,
    next: AtomicU64,
}

/// A request read back from the spool.
pub struct Spooled {
    pub seq: u64,
    pub metadata: ClientMetadata,
    pub trace: Option<TraceContext>,
    pub data: Payload,
}

impl Spool {
    /// Opens (creating, 0700) the spool of exporter `id` under `root` and reads
    /// back what an earlier process left there, oldest first. Unreadable or
    /// malformed files are reported and removed: they were never acknowledged
    /// whole (a torn temporary file) or are not ours.
    pub fn open(root: &Path, id: &ComponentId) -> io::Result<(Spool, Vec<Spooled>)> {
        let dir = root.join(dir_name(id));
        fs::DirBuilder::new().recursive(true).mode(0o700).create(&dir)?;
        let mut found = Vec::new();
        for entry in fs::read_dir(&dir)? {
            let path = entry?.path();
            let seq = path
                .extension()
                .filter(|e| *e == SUFFIX)
                .and_then(|_| path.file_stem()?.to_str()?.parse::<u64>().ok());
            let Some(seq) = seq else {
                let _ = fs::remove_file(&path);
                continue;
            };
            match fs::read(&path).map_err(|e| e.to_string()).and_then(|b| decode(seq, b)) {
                Ok(s) => found.push(s),
                Err(e) => {
                    tracing::error!(exporter = %id, file = %path.display(), error = %e,
                        "unreadable spooled request, removed");
                    let _ = fs::remove_file(&path);
                }
            }
        }
        found.sort_by_key(|s| s.seq);
        let next = found.last().map_or(0, |s| s.seq + 1);
        Ok((
            Spool {
                dir,
                next: AtomicU64::new(next),
            },
            found,
        ))
    }

    /// Writes one acknowledged request; its sequence number names it for
    /// [`Spool::remove`]. A failure (a full disk) means the request must not
    /// be acknowledged.
    pub fn write(&self, ctx: &RequestContext, data: &Payload) -> io::Result<u64> {
        let seq = self.next.fetch_add(1, Ordering::Relaxed);
        let tmp = self.dir.join(format!("{seq:020}.tmp"));
        let result = (|| {
            let mut f = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)?;
            f.write_all(&encode_header(ctx, data.signal()))?;
            f.write_all(data.bytes())?;
            drop(f);
            fs::rename(&tmp, self.path(seq))
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result.map(|()| seq)
    }

    /// Forgets a request whose export ended (delivered or dropped).
    pub fn remove(&self, seq: u64) {
        if let Err(e) = fs::remove_file(self.path(seq))
            && e.kind() != io::ErrorKind::NotFound
        {
            tracing::warn!(file = %self.path(seq).display(), error = %e, "could not remove a spooled request");
        }
    }

    fn path(&self, seq: u64) -> PathBuf {
        self.dir.join(format!("{seq:020}.{SUFFIX}"))
    }
}

/// A directory name for a component id (`otlp_rust/a` → `otlp_rust~a`): ids
/// hold letters, digits, `_`, `-`, `.` and one `/`.
fn dir_name(id: &ComponentId) -> String {
    id.to_string()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_-.".contains(c) {
                c
            } else {
                '~'
            }
        })
        .collect()
}

// The file: MAGIC, signal (1 byte), metadata entries (u32 count, then
// length-prefixed key and value per entry), trace context (1 byte present,
// then 16 + 8 + 1 bytes and a length-prefixed trace state), then the
// encoded export request to the end of the file. Lengths are little-endian u32.
fn encode_header(ctx: &RequestContext, signal: Signal) -> Vec<u8> {
    let mut h = Vec::with_capacity(64);
    h.extend_from_slice(MAGIC);
    h.push(match signal {
        Signal::Traces => 0,
        Signal::Metrics => 1,
        Signal::Logs => 2,
    });
    let pairs: Vec<(&str, &str)> = ctx
        .metadata
        .iter()
        .flat_map(|(k, vs)| vs.into_iter().map(move |v| (k, v)))
        .collect();
    h.extend_from_slice(&(pairs.len() as u32).to_le_bytes());
    for (k, v) in pairs {
        put_str(&mut h, k);
        put_str(&mut h, v);
    }
    match &ctx.trace {
        None => h.push(0),
        Some(t) => {
            h.push(1);
            h.extend_from_slice(&t.trace_id);
            h.extend_from_slice(&t.span_id);
            h.push(t.flags);
            put_str(&mut h, &t.trace_state);
        }
    }
    h
}

fn put_str(h: &mut Vec<u8>, s: &str) {
    h.extend_from_slice(&(s.len() as u32).to_le_bytes());
    h.extend_from_slice(s.as_bytes());
}

struct Reader {
    b: Bytes,
    at: usize,
}

impl Reader {
    fn take(&mut self, n: usize) -> Result<Bytes, String> {
        if self.b.len() - self.at < n {
            return Err("truncated".into());
        }
        self.at += n;
        Ok(self.b.slice(self.at - n..self.at))
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<usize, String> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }
    fn string(&mut self) -> Result<String, String> {
        let n = self.u32()?;
        String::from_utf8(self.take(n)?.to_vec()).map_err(|_| "a string is not UTF-8".to_string())
    }
}

fn decode(seq: u64, bytes: Vec<u8>) -> Result<Spooled, String> {
    let mut r = Reader {
        b: Bytes::from(bytes),
        at: 0,
    };
    if &r.take(4)?[..] != MAGIC {
        return Err("not a spooled request".into());
    }
    let signal = match r.u8()? {
        0 => Signal::Traces,
        1 => Signal::Metrics,
        2 => Signal::Logs,
        s => return Err(format!("unknown signal {s}")),
    };
    let mut metadata = ClientMetadata::new();
    for _ in 0..r.u32()? {
        let k = r.string()?;
        let v = r.string()?;
        metadata.append(&k, v);
    }
    let trace = match r.u8()? {
        0 => None,
        _ => {
            let trace_id = r.take(16)?[..].try_into().expect("16 bytes");
            let span_id = r.take(8)?[..].try_into().expect("8 bytes");
            let flags = r.u8()?;
            let trace_state = r.string()?;
            Some(TraceContext {
                trace_id,
                span_id,
                flags,
                trace_state,
            })
        }
    };
    let body = r.b.slice(r.at..);
    // The bytes were a valid payload when spooled; validate again all the
    // same, since a file on disk is input like any other.
    let data = Payload::from_wire(signal, body).map_err(|e: InvalidPayload| e.to_string())?;
    Ok(Spooled {
        seq,
        metadata,
        trace,
        data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testdata::{Rng, metrics_request};

    fn payload(seed: u64) -> Payload {
        Payload::from(metrics_request(&mut Rng::new(seed)))
    }

    fn ctx() -> RequestContext {
        let mut ctx = RequestContext::background();
        ctx.metadata.append("x-tenant", "a");
        ctx.metadata.append("x-tenant", "b");
        ctx.trace = TraceContext::parse("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", Some("k=v"));
        ctx
    }

    #[test]
    fn a_request_survives_a_new_process_and_is_gone_once_removed() {
        let root = tempfile::tempdir().unwrap();
        let id = ComponentId::parse("otlp_rust/a").unwrap();
        let data = payload(3);
        let (spool, old) = Spool::open(root.path(), &id).unwrap();
        assert!(old.is_empty());
        let s1 = spool.write(&ctx(), &data).unwrap();
        let s2 = spool.write(&RequestContext::background(), &data).unwrap();
        drop(spool);

        let (spool, back) = Spool::open(root.path(), &id).unwrap();
        assert_eq!(back.iter().map(|s| s.seq).collect::<Vec<_>>(), vec![s1, s2]);
        assert_eq!(back[0].data, data);
        assert_eq!(back[0].metadata.get("x-tenant"), vec!["a", "b"]);
        let t = back[0].trace.as_ref().unwrap();
        assert_eq!((t.flags, t.trace_state.as_str()), (1, "k=v"));
        assert!(back[1].trace.is_none());
        // New requests are numbered after the old ones.
        let s3 = spool.write(&ctx(), &data).unwrap();
        assert!(s3 > s2);
        for s in [s1, s2, s3] {
            spool.remove(s);
        }
        let (_, left) = Spool::open(root.path(), &id).unwrap();
        assert!(left.is_empty());
    }

    #[test]
    fn torn_and_foreign_files_are_discarded() {
        let root = tempfile::tempdir().unwrap();
        let id = ComponentId::parse("otlp_rust").unwrap();
        let (spool, _) = Spool::open(root.path(), &id).unwrap();
        let good = spool.write(&ctx(), &payload(2)).unwrap();
        let dir = root.path().join("otlp_rust");
        fs::write(dir.join("00000000000000000099.tmp"), b"half a request").unwrap();
        fs::write(dir.join("00000000000000000100.req"), b"OQS1\x01garbage").unwrap();
        fs::write(dir.join("notes.txt"), b"x").unwrap();
        let (_, back) = Spool::open(root.path(), &id).unwrap();
        assert_eq!(back.iter().map(|s| s.seq).collect::<Vec<_>>(), vec![good]);
        let mut names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, vec![format!("{good:020}.req")]);
    }

    #[test]
    fn a_write_that_cannot_complete_is_an_error_and_leaves_nothing() {
        let root = tempfile::tempdir().unwrap();
        let id = ComponentId::parse("otlp_rust").unwrap();
        let (spool, _) = Spool::open(root.path(), &id).unwrap();
        fs::remove_dir_all(root.path().join("otlp_rust")).unwrap();
        assert!(spool.write(&ctx(), &payload(1)).is_err());
    }
}
