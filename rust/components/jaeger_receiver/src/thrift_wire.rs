//! A Thrift reader for the binary and compact protocols, enough to decode
//! jaeger.thrift and agent.thrift. Every length and count comes from the
//! sender, so none is trusted: a string must fit in the bytes left, a list
//! may not announce more elements than bytes left (each element takes at
//! least one), and nesting is capped, so a small datagram cannot make us
//! allocate or recurse more than its own size allows.

use std::fmt;

/// Deeper nesting than this is refused (the Go Thrift library's default).
const MAX_DEPTH: usize = 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Binary,
    Compact,
}

/// Field and element types, normalised to the binary protocol's codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TType {
    Stop,
    Bool,
    Byte,
    Double,
    I16,
    I32,
    I64,
    String,
    Struct,
    Map,
    Set,
    List,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThriftError(pub String);

impl fmt::Display for ThriftError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ThriftError {}

pub type Result<T> = std::result::Result<T, ThriftError>;

fn err<T>(msg: impl Into<String>) -> Result<T> {
    Err(ThriftError(msg.into()))
}

/// A message header: method name, call type (1 call, 4 oneway), sequence id.
#[derive(Debug)]
pub struct MessageHeader {
    pub name: String,
    pub kind: u8,
}

pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    proto: Protocol,
    depth: usize,
    /// Compact protocol: the last field id of each open struct (ids are sent as deltas).
    last_ids: Vec<i16>,
    /// Compact protocol: a bool field carries its value in the field header.
    pending_bool: Option<bool>,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8], proto: Protocol) -> Self {
        Reader {
            buf,
            pos: 0,
            proto,
            depth: 0,
            last_ids: Vec::new(),
            pending_bool: None,
        }
    }

    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return err(format!(
                "truncated: {n} bytes wanted at offset {}, {} left",
                self.pos,
                self.remaining()
            ));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn byte(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    fn varint(&mut self) -> Result<u64> {
        let mut v: u64 = 0;
        for shift in (0..70).step_by(7) {
            let b = self.byte()?;
            if shift == 63 && b > 1 {
                return err("varint overflows 64 bits");
            }
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        err("varint too long")
    }

    fn zigzag(&mut self) -> Result<i64> {
        let v = self.varint()?;
        Ok((v >> 1) as i64 ^ -((v & 1) as i64))
    }

    fn be_i32(&mut self) -> Result<i32> {
        Ok(i32::from_be_bytes(self.take(4)?.try_into().unwrap()))
    }

    /// A length or count the sender announced, checked against what is left:
    /// `min_each` bytes per element at least.
    fn bounded(&mut self, n: i64, min_each: usize, what: &str) -> Result<usize> {
        if n < 0 {
            return err(format!("negative {what} {n}"));
        }
        let n = n as u64;
        if n.saturating_mul(min_each.max(1) as u64) > self.remaining() as u64 {
            return err(format!("{what} {n} exceeds the {} bytes left", self.remaining()));
        }
        Ok(n as usize)
    }

    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return err(format!("nesting deeper than {MAX_DEPTH}"));
        }
        Ok(())
    }

    pub fn message_begin(&mut self) -> Result<MessageHeader> {
        match self.proto {
            Protocol::Compact => {
                if self.byte()? != 0x82 {
                    return err("not a compact protocol message (protocol id)");
                }
                let vt = self.byte()?;
                if vt & 0x1f != 1 {
                    return err(format!("compact protocol version {} not supported", vt & 0x1f));
                }
                let _seq = self.varint()?;
                let name = self.string()?;
                Ok(MessageHeader { name, kind: vt >> 5 })
            }
            Protocol::Binary => {
                let first = self.be_i32()?;
                if first < 0 {
                    // Strict: version word, name, sequence id.
                    if (first as u32) & 0xffff_0000 != 0x8001_0000 {
                        return err("bad binary protocol version");
                    }
                    let name = self.string()?;
                    let _seq = self.be_i32()?;
                    Ok(MessageHeader {
                        name,
                        kind: first as u8,
                    })
                } else {
                    // Old style: the first word is the name's length.
                    let n = self.bounded(i64::from(first), 1, "method name length")?;
                    let name = String::from_utf8(self.take(n)?.to_vec())
                        .map_err(|_| ThriftError("method name is not UTF-8".into()))?;
                    let kind = self.byte()?;
                    let _seq = self.be_i32()?;
                    Ok(MessageHeader { name, kind })
                }
            }
        }
    }

    pub fn struct_begin(&mut self) -> Result<()> {
        self.enter()?;
        if self.proto == Protocol::Compact {
            self.last_ids.push(0);
        }
        Ok(())
    }

    pub fn struct_end(&mut self) {
        self.depth -= 1;
        if self.proto == Protocol::Compact {
            self.last_ids.pop();
        }
    }

    /// The next field's type and id; `TType::Stop` ends the struct.
    pub fn field_begin(&mut self) -> Result<(TType, i16)> {
        match self.proto {
            Protocol::Binary => {
                let t = binary_type(self.byte()?)?;
                if t == TType::Stop {
                    return Ok((t, 0));
                }
                let id = i16::from_be_bytes(self.take(2)?.try_into().unwrap());
                Ok((t, id))
            }
            Protocol::Compact => {
                let b = self.byte()?;
                if b == 0 {
                    return Ok((TType::Stop, 0));
                }
                let delta = (b >> 4) as i16;
                let last = self.last_ids.last().copied().unwrap_or(0);
                let id = if delta == 0 {
                    let v = self.zigzag()?;
                    i16::try_from(v).map_err(|_| ThriftError(format!("field id {v} out of range")))?
                } else {
                    last.wrapping_add(delta)
                };
                if let Some(l) = self.last_ids.last_mut() {
                    *l = id;
                }
                let t = match b & 0x0f {
                    1 => {
                        self.pending_bool = Some(true);
                        TType::Bool
                    }
                    2 => {
                        self.pending_bool = Some(false);
                        TType::Bool
                    }
                    c => compact_type(c)?,
                };
                Ok((t, id))
            }
        }
    }

    pub fn bool(&mut self) -> Result<bool> {
        if let Some(v) = self.pending_bool.take() {
            return Ok(v);
        }
        let b = self.byte()?;
        Ok(match self.proto {
            Protocol::Binary => b != 0,
            Protocol::Compact => b == 1,
        })
    }

    pub fn i8(&mut self) -> Result<i8> {
        Ok(self.byte()? as i8)
    }

    pub fn i16(&mut self) -> Result<i16> {
        match self.proto {
            Protocol::Binary => Ok(i16::from_be_bytes(self.take(2)?.try_into().unwrap())),
            Protocol::Compact => {
                let v = self.zigzag()?;
                i16::try_from(v).map_err(|_| ThriftError(format!("i16 {v} out of range")))
            }
        }
    }

    pub fn i32(&mut self) -> Result<i32> {
        match self.proto {
            Protocol::Binary => self.be_i32(),
            Protocol::Compact => {
                let v = self.zigzag()?;
                i32::try_from(v).map_err(|_| ThriftError(format!("i32 {v} out of range")))
            }
        }
    }

    pub fn i64(&mut self) -> Result<i64> {
        match self.proto {
            Protocol::Binary => Ok(i64::from_be_bytes(self.take(8)?.try_into().unwrap())),
            Protocol::Compact => self.zigzag(),
        }
    }

    pub fn double(&mut self) -> Result<f64> {
        let b: [u8; 8] = self.take(8)?.try_into().unwrap();
        Ok(match self.proto {
            Protocol::Binary => f64::from_be_bytes(b),
            Protocol::Compact => f64::from_le_bytes(b),
        })
    }

    pub fn binary(&mut self) -> Result<Vec<u8>> {
        let n = match self.proto {
            Protocol::Binary => i64::from(self.be_i32()?),
            Protocol::Compact => i64::try_from(self.varint()?).unwrap_or(i64::MAX),
        };
        let n = self.bounded(n, 1, "string length")?;
        Ok(self.take(n)?.to_vec())
    }

    /// Thrift strings are UTF-8; Go keeps invalid bytes as they are, and so
    /// do we (OTLP's string type then carries them lossily replaced).
    pub fn string(&mut self) -> Result<String> {
        let b = self.binary()?;
        Ok(String::from_utf8(b).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
    }

    /// Element type and count of a list or set.
    pub fn list_begin(&mut self) -> Result<(TType, usize)> {
        self.enter()?;
        match self.proto {
            Protocol::Binary => {
                let t = binary_type(self.byte()?)?;
                let n = i64::from(self.be_i32()?);
                Ok((t, self.bounded(n, 1, "list size")?))
            }
            Protocol::Compact => {
                let b = self.byte()?;
                let n = if b >> 4 == 15 {
                    i64::try_from(self.varint()?).unwrap_or(i64::MAX)
                } else {
                    i64::from(b >> 4)
                };
                let t = compact_elem_type(b & 0x0f)?;
                Ok((t, self.bounded(n, 1, "list size")?))
            }
        }
    }

    pub fn list_end(&mut self) {
        self.depth -= 1;
    }

    fn map_begin(&mut self) -> Result<(TType, TType, usize)> {
        self.enter()?;
        match self.proto {
            Protocol::Binary => {
                let k = binary_type(self.byte()?)?;
                let v = binary_type(self.byte()?)?;
                let n = i64::from(self.be_i32()?);
                Ok((k, v, self.bounded(n, 2, "map size")?))
            }
            Protocol::Compact => {
                let n = i64::try_from(self.varint()?).unwrap_or(i64::MAX);
                if n == 0 {
                    return Ok((TType::Stop, TType::Stop, 0));
                }
                let kv = self.byte()?;
                let k = compact_elem_type(kv >> 4)?;
                let v = compact_elem_type(kv & 0x0f)?;
                Ok((k, v, self.bounded(n, 2, "map size")?))
            }
        }
    }

    /// Skips a value of type `t` (unknown fields, fields of no interest).
    pub fn skip(&mut self, t: TType) -> Result<()> {
        match t {
            TType::Stop => err("unexpected stop"),
            TType::Bool => self.bool().map(drop),
            TType::Byte => self.i8().map(drop),
            TType::I16 => self.i16().map(drop),
            TType::I32 => self.i32().map(drop),
            TType::I64 => self.i64().map(drop),
            TType::Double => self.double().map(drop),
            TType::String => {
                let n = match self.proto {
                    Protocol::Binary => i64::from(self.be_i32()?),
                    Protocol::Compact => i64::try_from(self.varint()?).unwrap_or(i64::MAX),
                };
                let n = self.bounded(n, 1, "string length")?;
                self.take(n).map(drop)
            }
            TType::Struct => {
                self.struct_begin()?;
                loop {
                    let (ft, _) = self.field_begin()?;
                    if ft == TType::Stop {
                        break;
                    }
                    self.skip(ft)?;
                }
                self.struct_end();
                Ok(())
            }
            TType::List | TType::Set => {
                let (et, n) = self.list_begin()?;
                for _ in 0..n {
                    self.skip(et)?;
                }
                self.list_end();
                Ok(())
            }
            TType::Map => {
                let (kt, vt, n) = self.map_begin()?;
                for _ in 0..n {
                    self.skip(kt)?;
                    self.skip(vt)?;
                }
                self.depth -= 1;
                Ok(())
            }
        }
    }
}

fn binary_type(b: u8) -> Result<TType> {
    Ok(match b {
        0 => TType::Stop,
        2 => TType::Bool,
        3 => TType::Byte,
        4 => TType::Double,
        6 => TType::I16,
        8 => TType::I32,
        10 => TType::I64,
        11 => TType::String,
        12 => TType::Struct,
        13 => TType::Map,
        14 => TType::Set,
        15 => TType::List,
        _ => return err(format!("unknown binary protocol type {b}")),
    })
}

fn compact_type(c: u8) -> Result<TType> {
    Ok(match c {
        1 | 2 => TType::Bool,
        3 => TType::Byte,
        4 => TType::I16,
        5 => TType::I32,
        6 => TType::I64,
        7 => TType::Double,
        8 => TType::String,
        9 => TType::List,
        10 => TType::Set,
        11 => TType::Map,
        12 => TType::Struct,
        _ => return err(format!("unknown compact protocol type {c}")),
    })
}

/// Inside lists and maps a bool is a byte; its type code is 1 (or 2).
fn compact_elem_type(c: u8) -> Result<TType> {
    compact_type(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_beyond_the_buffer_are_refused_before_allocating() {
        // Binary string claiming 2 GiB.
        let mut r = Reader::new(&[0x7f, 0xff, 0xff, 0xff, b'a'], Protocol::Binary);
        assert!(r.binary().unwrap_err().0.contains("exceeds"));
        // Compact list header announcing a billion i64s.
        let mut r = Reader::new(&[0xf6, 0x80, 0x94, 0xeb, 0xdc, 0x03], Protocol::Compact);
        assert!(r.list_begin().unwrap_err().0.contains("exceeds"));
        let mut r = Reader::new(&[0x0a, 0xff, 0xff, 0xff, 0xff], Protocol::Binary);
        assert!(r.list_begin().unwrap_err().0.contains("negative"));
    }

    #[test]
    fn nesting_is_capped() {
        // A list of lists of lists ... (compact: 0x19 = one element of type list).
        let buf = vec![0x19u8; 200];
        let mut r = Reader::new(&buf, Protocol::Compact);
        assert!(r.skip(TType::List).unwrap_err().0.contains("nesting"));
    }

    #[test]
    fn compact_field_ids_are_deltas_per_struct() {
        // field 1 i64 (zigzag 2 = 1), field 3 bool true, stop.
        let buf = [0x16, 0x02, 0x21, 0x00];
        let mut r = Reader::new(&buf, Protocol::Compact);
        r.struct_begin().unwrap();
        assert_eq!(r.field_begin().unwrap(), (TType::I64, 1));
        assert_eq!(r.i64().unwrap(), 1);
        assert_eq!(r.field_begin().unwrap(), (TType::Bool, 3));
        assert!(r.bool().unwrap());
        assert_eq!(r.field_begin().unwrap().0, TType::Stop);
        r.struct_end();
    }
}
