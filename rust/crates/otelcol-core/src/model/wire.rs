//! Protobuf wire format, read in place: a field iterator over a byte slice and
//! the few writers the edit path needs. Nothing here allocates.
//!
//! The reader never panics on hostile bytes: every length is checked against
//! what is left, and a malformed field ends the iteration with an error.

use std::fmt;
use std::ops::Range;

/// The four wire types a proto3 message can contain (groups are refused).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WireType {
    Varint,
    Fixed64,
    Len,
    Fixed32,
}

impl WireType {
    fn from_tag(tag: u64) -> Option<WireType> {
        match tag & 7 {
            0 => Some(WireType::Varint),
            1 => Some(WireType::Fixed64),
            2 => Some(WireType::Len),
            5 => Some(WireType::Fixed32),
            _ => None,
        }
    }

    fn bits(self) -> u64 {
        match self {
            WireType::Varint => 0,
            WireType::Fixed64 => 1,
            WireType::Len => 2,
            WireType::Fixed32 => 5,
        }
    }
}

/// What went wrong, and at which byte offset of the message being read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WireError {
    pub offset: usize,
    pub what: &'static str,
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.what, self.offset)
    }
}

impl std::error::Error for WireError {}

/// One field's value, borrowed from the message.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value<'a> {
    Varint(u64),
    Fixed64(u64),
    Len(&'a [u8]),
    Fixed32(u32),
}

impl<'a> Value<'a> {
    pub fn wire_type(&self) -> WireType {
        match self {
            Value::Varint(_) => WireType::Varint,
            Value::Fixed64(_) => WireType::Fixed64,
            Value::Len(_) => WireType::Len,
            Value::Fixed32(_) => WireType::Fixed32,
        }
    }

    pub fn as_bytes(&self) -> Option<&'a [u8]> {
        match *self {
            Value::Len(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::Varint(v) | Value::Fixed64(v) => Some(v),
            Value::Fixed32(v) => Some(v as u64),
            Value::Len(_) => None,
        }
    }
}

/// A field as found in its message: number, value, and the byte range of the
/// whole field (tag + length + value) inside the message, for copying it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Field<'a> {
    pub number: u32,
    pub value: Value<'a>,
    pub start: usize,
    pub end: usize,
}

impl Field<'_> {
    pub fn range(&self) -> Range<usize> {
        self.start..self.end
    }
}

/// Iterates the fields of one message. Ends with `Some(Err(_))` once, on the
/// first malformed field, then `None`.
#[derive(Clone)]
pub struct Fields<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Fields<'a> {
    pub fn new(buf: &'a [u8]) -> Fields<'a> {
        Fields { buf, pos: 0 }
    }

    fn fail(&mut self, what: &'static str) -> Option<Result<Field<'a>, WireError>> {
        let offset = self.pos;
        self.pos = self.buf.len();
        Some(Err(WireError { offset, what }))
    }
}

/// Reads a varint at `pos`; returns the value and the position after it.
#[inline(always)]
pub fn read_varint(buf: &[u8], pos: usize) -> Option<(u64, usize)> {
    // Tags, lengths of short fields and small numbers are one byte: the
    // common case stays a load and a compare.
    match buf.get(pos) {
        Some(&b) if b < 0x80 => Some((u64::from(b), pos + 1)),
        Some(_) => read_varint_slow(buf, pos),
        None => None,
    }
}

#[inline(never)]
fn read_varint_slow(buf: &[u8], mut pos: usize) -> Option<(u64, usize)> {
    let mut v: u64 = 0;
    for shift in (0..64).step_by(7) {
        let b = *buf.get(pos)?;
        pos += 1;
        // The tenth byte may only carry the top bit of a u64.
        if shift == 63 && b > 1 {
            return None;
        }
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some((v, pos));
        }
    }
    None
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<Field<'a>, WireError>;

    // Inlined into each walk so the field is built in registers, not returned
    // through memory: this loop is most of what a Rust hop costs.
    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let start = self.pos;
        let Some((tag, p)) = read_varint(self.buf, start) else {
            return self.fail("truncated or overlong field tag");
        };
        let number = tag >> 3;
        if number == 0 || number > u64::from(u32::MAX >> 3) {
            return self.fail("invalid field number");
        }
        let Some(wt) = WireType::from_tag(tag) else {
            return self.fail("unsupported wire type (groups are not OTLP)");
        };
        let (value, end) = match wt {
            WireType::Varint => match read_varint(self.buf, p) {
                Some((v, e)) => (Value::Varint(v), e),
                None => return self.fail("truncated varint"),
            },
            WireType::Fixed64 => match self.buf.get(p..p + 8) {
                Some(b) => (
                    Value::Fixed64(u64::from_le_bytes(b.try_into().unwrap_or_default())),
                    p + 8,
                ),
                None => return self.fail("truncated fixed64"),
            },
            WireType::Fixed32 => match self.buf.get(p..p + 4) {
                Some(b) => (
                    Value::Fixed32(u32::from_le_bytes(b.try_into().unwrap_or_default())),
                    p + 4,
                ),
                None => return self.fail("truncated fixed32"),
            },
            WireType::Len => {
                let Some((len, p)) = read_varint(self.buf, p) else {
                    return self.fail("truncated length");
                };
                let Some(end) = usize::try_from(len).ok().and_then(|l| p.checked_add(l)) else {
                    return self.fail("length past the end of the message");
                };
                match self.buf.get(p..end) {
                    Some(b) => (Value::Len(b), end),
                    None => return self.fail("length past the end of the message"),
                }
            }
        };
        self.pos = end;
        Some(Ok(Field {
            number: number as u32,
            value,
            start,
            end,
        }))
    }
}

/// Fields of a message whose bytes were validated: malformed input (which a
/// validated payload cannot contain) just ends the iteration.
#[inline]
pub fn fields(buf: &[u8]) -> impl Iterator<Item = Field<'_>> + Clone {
    Fields::new(buf).map_while(Result::ok)
}

/// The first field `number` of a message, for singular fields read by views.
/// Protobuf says the last occurrence wins for scalars; OTLP senders never
/// repeat singular fields, and for sub-messages the occurrences merge.
#[inline]
pub fn first(buf: &[u8], number: u32) -> Option<Value<'_>> {
    fields(buf).find(|f| f.number == number).map(|f| f.value)
}

pub fn varint_len(v: u64) -> usize {
    // 1 byte per started group of 7 bits; 0 still takes one byte.
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Size of a length-delimited field `number` holding `len` bytes, tag included.
pub fn len_field_size(number: u32, len: usize) -> usize {
    varint_len(u64::from(number) << 3) + varint_len(len as u64) + len
}

/// Writes the tag and length of a length-delimited field; the caller writes the value.
pub fn put_len_header(out: &mut Vec<u8>, number: u32, len: usize) {
    put_varint(out, (u64::from(number) << 3) | WireType::Len.bits());
    put_varint(out, len as u64);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_and_sizes_match() {
        for v in [0u64, 1, 127, 128, 300, 16_383, 16_384, u32::MAX as u64, u64::MAX] {
            let mut b = vec![];
            put_varint(&mut b, v);
            assert_eq!(b.len(), varint_len(v), "{v}");
            assert_eq!(read_varint(&b, 0), Some((v, b.len())));
        }
        // 11 bytes, or a tenth byte above 1: not a u64.
        assert_eq!(read_varint(&[0xff; 11], 0), None);
        assert_eq!(
            read_varint(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02], 0),
            None
        );
    }

    #[test]
    fn hostile_lengths_end_iteration_with_an_error() {
        // field 1, LEN, length u64::MAX
        let mut b = vec![0x0a];
        put_varint(&mut b, u64::MAX);
        let r: Vec<_> = Fields::new(&b).collect();
        assert_eq!(r.len(), 1);
        assert!(r[0].is_err());
        // group wire type 3
        assert!(Fields::new(&[0x0b]).next().unwrap().is_err());
        // field number 0
        assert!(Fields::new(&[0x02, 0x00]).next().unwrap().is_err());
        // truncated fixed64
        assert!(Fields::new(&[0x09, 1, 2]).next().unwrap().is_err());
    }

    #[test]
    fn field_ranges_cover_tag_length_and_value() {
        let mut b = vec![];
        put_len_header(&mut b, 2, 3);
        b.extend_from_slice(b"abc");
        b.extend_from_slice(&[0x18, 0x05]); // field 3 varint 5
        let f: Vec<_> = fields(&b).collect();
        assert_eq!(f[0].number, 2);
        assert_eq!(f[0].value, Value::Len(b"abc"));
        assert_eq!(f[0].range(), 0..5);
        assert_eq!(len_field_size(2, 3), 5);
        assert_eq!(f[1].value, Value::Varint(5));
        assert_eq!(f[1].range(), 5..7);
    }
}
