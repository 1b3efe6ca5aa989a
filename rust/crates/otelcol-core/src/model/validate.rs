//! One pass over an encoded export request: proves it is a well-formed OTLP
//! message (wire types, lengths, UTF-8, id sizes, nesting depth) and counts its
//! items on the way. A payload that passed can be viewed and edited without
//! further checks, and forwarded byte for byte.

use std::fmt;

use super::schema::{self, Kind, Msg};
use super::wire::{Fields, Value, WireError, read_varint};

/// Deeper than this is refused. prost's own limit is 100; OTLP itself needs
/// about 10, the rest is AnyValue nesting (arrays and kvlists).
pub const MAX_DEPTH: u32 = 100;

/// Why a request body is not valid OTLP, with where it was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidPayload {
    pub offset: usize,
    pub message: &'static str,
    pub field: &'static str,
    pub what: &'static str,
}

impl fmt::Display for InvalidPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{} in {} at byte {}", self.what, self.message, self.offset)
        } else {
            write!(
                f,
                "{} in {}.{} at byte {}",
                self.what, self.message, self.field, self.offset
            )
        }
    }
}

impl std::error::Error for InvalidPayload {}

/// Validates `buf` as message `msg`; returns the number of items (spans, data
/// points, log records) it holds.
pub fn validate(buf: &[u8], msg: &'static Msg) -> Result<usize, InvalidPayload> {
    let mut items = 0;
    walk(buf, 0, msg, 1, &mut items)?;
    Ok(items)
}

fn walk(buf: &[u8], base: usize, msg: &'static Msg, depth: u32, items: &mut usize) -> Result<(), InvalidPayload> {
    let fail = |offset: usize, field: &'static str, what: &'static str| InvalidPayload {
        offset: base + offset,
        message: msg.name,
        field,
        what,
    };
    if depth > MAX_DEPTH {
        return Err(fail(0, "", "messages nested too deeply"));
    }
    for f in Fields::new(buf) {
        let f = f.map_err(|WireError { offset, what }| fail(offset, "", what))?;
        let Some(&(_, name, kind)) = msg.field(f.number) else {
            continue; // unknown field: well-formed (the iterator checked), kept as is
        };
        let ok = match (kind, f.value) {
            (Kind::Varint | Kind::SignedVarint | Kind::RepeatedVarint, Value::Varint(_))
            | (Kind::Fixed64 | Kind::Double | Kind::RepeatedFixed64 | Kind::RepeatedDouble, Value::Fixed64(_))
            | (Kind::Fixed32, Value::Fixed32(_))
            | (Kind::Bytes, Value::Len(_)) => true,
            // Packed repeated scalars.
            (Kind::RepeatedVarint, Value::Len(b)) => packed_varints_ok(b),
            (Kind::RepeatedFixed64 | Kind::RepeatedDouble, Value::Len(b)) => b.len() % 8 == 0,
            (Kind::String, Value::Len(b)) => {
                // Keys and names are short and ASCII: a plain byte scan is
                // cheaper than from_utf8's setup for them.
                if !b.is_ascii() && std::str::from_utf8(b).is_err() {
                    return Err(fail(f.start, name, "invalid UTF-8"));
                }
                true
            }
            (Kind::Id(n), Value::Len(b)) => {
                if !b.is_empty() && b.len() != n {
                    return Err(fail(f.start, name, "id of the wrong length"));
                }
                true
            }
            (Kind::Message(m), Value::Len(b)) | (Kind::Item(m), Value::Len(b)) => {
                if matches!(kind, Kind::Item(_)) {
                    *items += 1;
                }
                let inner = base + f.end - b.len();
                walk(b, inner, m, depth + 1, items)?;
                true
            }
            _ => false,
        };
        if !ok {
            return Err(fail(f.start, name, "wrong wire type"));
        }
    }
    Ok(())
}

/// Counts the items of a request whose sender already decoded and re-encoded
/// it (the Go half, across a bridge): only the messages that hold items are
/// entered, and items are counted, not read. Framing down to the items is
/// still checked, so the ranges views and edits work on are sound; what lies
/// inside an item is the sender's. Go's decoder accepts invalid UTF-8, so a
/// request the Go half accepted must not be refused here for it.
pub fn count_items(buf: &[u8], msg: &'static Msg) -> Result<usize, InvalidPayload> {
    let mut items = 0;
    count(buf, 0, msg, &mut items)?;
    Ok(items)
}

/// The messages between a request and its items.
fn holds_items(m: &'static Msg) -> bool {
    [
        &schema::TRACES_REQUEST,
        &schema::RESOURCE_SPANS,
        &schema::SCOPE_SPANS,
        &schema::METRICS_REQUEST,
        &schema::RESOURCE_METRICS,
        &schema::SCOPE_METRICS,
        &schema::METRIC,
        &schema::GAUGE,
        &schema::SUM,
        &schema::HISTOGRAM,
        &schema::EXP_HISTOGRAM,
        &schema::SUMMARY,
        &schema::LOGS_REQUEST,
        &schema::RESOURCE_LOGS,
        &schema::SCOPE_LOGS,
    ]
    .iter()
    .any(|h| std::ptr::eq(*h, m))
}

fn count(buf: &[u8], base: usize, msg: &'static Msg, items: &mut usize) -> Result<(), InvalidPayload> {
    for f in Fields::new(buf) {
        let f = f.map_err(|WireError { offset, what }| InvalidPayload {
            offset: base + offset,
            message: msg.name,
            field: "",
            what,
        })?;
        let Some(&(_, name, kind)) = msg.field(f.number) else {
            continue;
        };
        match (kind, f.value) {
            (Kind::Item(_), Value::Len(_)) => *items += 1,
            (Kind::Message(m), Value::Len(b)) if holds_items(m) => count(b, base + f.end - b.len(), m, items)?,
            (Kind::Item(_), _) | (Kind::Message(_), _) if !matches!(f.value, Value::Len(_)) => {
                return Err(InvalidPayload {
                    offset: base + f.start,
                    message: msg.name,
                    field: name,
                    what: "wrong wire type",
                });
            }
            _ => {}
        }
    }
    Ok(())
}

fn packed_varints_ok(mut b: &[u8]) -> bool {
    while !b.is_empty() {
        match read_varint(b, 0) {
            Some((_, n)) => b = &b[n..],
            None => return false,
        }
    }
    true
}
