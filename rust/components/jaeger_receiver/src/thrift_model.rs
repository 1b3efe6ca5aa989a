//! jaeger.thrift's `Batch` and what it holds, read with [`Reader`], and the
//! agent's `emitBatch` call. Required fields are enforced as the Go Thrift
//! code does: a struct missing one is refused. Lists that were absent stay
//! `None` (the Go translator tells an absent list from an empty one).

use crate::thrift_wire::{Protocol, Reader, Result, TType, ThriftError};

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Batch {
    pub process: Process,
    pub spans: Vec<Span>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Process {
    pub service_name: String,
    pub tags: Option<Vec<Tag>>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Span {
    pub trace_id_low: i64,
    pub trace_id_high: i64,
    pub span_id: i64,
    pub parent_span_id: i64,
    pub operation_name: String,
    pub references: Option<Vec<SpanRef>>,
    pub flags: i32,
    pub start_time: i64,
    pub duration: i64,
    pub tags: Option<Vec<Tag>>,
    pub logs: Option<Vec<Log>>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct SpanRef {
    pub ref_type: i32,
    pub trace_id_low: i64,
    pub trace_id_high: i64,
    pub span_id: i64,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Log {
    pub timestamp: i64,
    pub fields: Vec<Tag>,
}

/// `vType`: STRING, DOUBLE, BOOL, LONG, BINARY (0..=4).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tag {
    pub key: String,
    pub v_type: i32,
    pub v_str: Option<String>,
    pub v_double: Option<f64>,
    pub v_bool: Option<bool>,
    pub v_long: Option<i64>,
    pub v_binary: Option<Vec<u8>>,
}

pub const TAG_STRING: i32 = 0;
pub const TAG_DOUBLE: i32 = 1;
pub const TAG_BOOL: i32 = 2;
pub const TAG_LONG: i32 = 3;
pub const TAG_BINARY: i32 = 4;

/// Reads the fields of a struct: `f` handles the ids it knows (returning
/// false for the others, which are skipped), and `required` lists the ids
/// that must have been seen.
fn read_struct(
    r: &mut Reader<'_>,
    name: &str,
    required: &[i16],
    mut f: impl FnMut(&mut Reader<'_>, TType, i16) -> Result<bool>,
) -> Result<()> {
    r.struct_begin()?;
    let mut seen: u32 = 0;
    loop {
        let (t, id) = r.field_begin()?;
        if t == TType::Stop {
            break;
        }
        if f(r, t, id)? {
            if (0..32).contains(&id) {
                seen |= 1 << id;
            }
        } else {
            r.skip(t)?;
        }
    }
    r.struct_end();
    for id in required {
        if seen & (1 << id) == 0 {
            return Err(ThriftError(format!("{name}: required field {id} is not set")));
        }
    }
    Ok(())
}

/// A field of the expected type is read; one of another type is skipped, as
/// generated Thrift code does.
macro_rules! field {
    ($r:ident, $t:ident, $want:expr, $read:expr) => {{
        if $t != $want {
            return Ok(false);
        }
        $read;
        Ok(true)
    }};
}

fn read_list<T>(r: &mut Reader<'_>, elem: TType, mut f: impl FnMut(&mut Reader<'_>) -> Result<T>) -> Result<Vec<T>> {
    let (t, n) = r.list_begin()?;
    if t != elem && n > 0 {
        return Err(ThriftError(format!("list of {t:?}, expected {elem:?}")));
    }
    // n was checked against the bytes left, so this reserves at most that many.
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        v.push(f(r)?);
    }
    r.list_end();
    Ok(v)
}

fn tag(r: &mut Reader<'_>) -> Result<Tag> {
    let mut t = Tag::default();
    read_struct(r, "Tag", &[1, 2], |r, ty, id| match id {
        1 => field!(r, ty, TType::String, t.key = r.string()?),
        2 => field!(r, ty, TType::I32, t.v_type = r.i32()?),
        3 => field!(r, ty, TType::String, t.v_str = Some(r.string()?)),
        4 => field!(r, ty, TType::Double, t.v_double = Some(r.double()?)),
        5 => field!(r, ty, TType::Bool, t.v_bool = Some(r.bool()?)),
        6 => field!(r, ty, TType::I64, t.v_long = Some(r.i64()?)),
        7 => field!(r, ty, TType::String, t.v_binary = Some(r.binary()?)),
        _ => Ok(false),
    })?;
    Ok(t)
}

fn tags(r: &mut Reader<'_>) -> Result<Vec<Tag>> {
    read_list(r, TType::Struct, tag)
}

fn log(r: &mut Reader<'_>) -> Result<Log> {
    let mut l = Log::default();
    read_struct(r, "Log", &[1, 2], |r, ty, id| match id {
        1 => field!(r, ty, TType::I64, l.timestamp = r.i64()?),
        2 => field!(r, ty, TType::List, l.fields = tags(r)?),
        _ => Ok(false),
    })?;
    Ok(l)
}

fn span_ref(r: &mut Reader<'_>) -> Result<SpanRef> {
    let mut s = SpanRef::default();
    read_struct(r, "SpanRef", &[1, 2, 3, 4], |r, ty, id| match id {
        1 => field!(r, ty, TType::I32, s.ref_type = r.i32()?),
        2 => field!(r, ty, TType::I64, s.trace_id_low = r.i64()?),
        3 => field!(r, ty, TType::I64, s.trace_id_high = r.i64()?),
        4 => field!(r, ty, TType::I64, s.span_id = r.i64()?),
        _ => Ok(false),
    })?;
    Ok(s)
}

fn span(r: &mut Reader<'_>) -> Result<Span> {
    let mut s = Span::default();
    read_struct(r, "Span", &[1, 2, 3, 4, 5, 7, 8, 9], |r, ty, id| match id {
        1 => field!(r, ty, TType::I64, s.trace_id_low = r.i64()?),
        2 => field!(r, ty, TType::I64, s.trace_id_high = r.i64()?),
        3 => field!(r, ty, TType::I64, s.span_id = r.i64()?),
        4 => field!(r, ty, TType::I64, s.parent_span_id = r.i64()?),
        5 => field!(r, ty, TType::String, s.operation_name = r.string()?),
        6 => field!(
            r,
            ty,
            TType::List,
            s.references = Some(read_list(r, TType::Struct, span_ref)?)
        ),
        7 => field!(r, ty, TType::I32, s.flags = r.i32()?),
        8 => field!(r, ty, TType::I64, s.start_time = r.i64()?),
        9 => field!(r, ty, TType::I64, s.duration = r.i64()?),
        10 => field!(r, ty, TType::List, s.tags = Some(tags(r)?)),
        11 => field!(r, ty, TType::List, s.logs = Some(read_list(r, TType::Struct, log)?)),
        _ => Ok(false),
    })?;
    Ok(s)
}

fn process(r: &mut Reader<'_>) -> Result<Process> {
    let mut p = Process::default();
    read_struct(r, "Process", &[1], |r, ty, id| match id {
        1 => field!(r, ty, TType::String, p.service_name = r.string()?),
        2 => field!(r, ty, TType::List, p.tags = Some(tags(r)?)),
        _ => Ok(false),
    })?;
    Ok(p)
}

fn batch(r: &mut Reader<'_>) -> Result<Batch> {
    let mut b = Batch::default();
    read_struct(r, "Batch", &[1, 2], |r, ty, id| match id {
        1 => field!(r, ty, TType::Struct, b.process = process(r)?),
        2 => field!(r, ty, TType::List, b.spans = read_list(r, TType::Struct, span)?),
        _ => Ok(false),
    })?;
    Ok(b)
}

/// A `Batch` encoded alone (the body of `POST /api/traces`).
pub fn decode_batch(body: &[u8], proto: Protocol) -> Result<Batch> {
    let mut r = Reader::new(body, proto);
    batch(&mut r)
}

/// What an agent datagram asked for.
pub enum AgentCall {
    EmitBatch(Option<Batch>),
    /// `emitZipkinBatch` or any other method: not served.
    Other(String),
}

/// One agent datagram: a `emitBatch(1: Batch batch)` call (oneway).
pub fn decode_agent_call(packet: &[u8], proto: Protocol) -> Result<AgentCall> {
    let mut r = Reader::new(packet, proto);
    let h = r.message_begin()?;
    if h.name != "emitBatch" {
        return Ok(AgentCall::Other(h.name));
    }
    if h.kind != 1 && h.kind != 4 {
        return Err(ThriftError(format!("emitBatch: message type {} is not a call", h.kind)));
    }
    let mut out = None;
    read_struct(&mut r, "emitBatch_args", &[], |r, ty, id| match id {
        1 => field!(r, ty, TType::Struct, out = Some(batch(r)?)),
        _ => Ok(false),
    })?;
    Ok(AgentCall::EmitBatch(out))
}
