//! A Thrift writer for the tests only: it produces what Jaeger clients send,
//! in both protocols, so the reader is checked against real encodings.

use crate::thrift_model as thrift;
use crate::thrift_wire::Protocol;

pub struct Writer<'a> {
    proto: Protocol,
    out: &'a mut Vec<u8>,
    last: Vec<i16>,
}

// Binary type codes; compact codes are mapped from them.
const BOOL: u8 = 2;
const DOUBLE: u8 = 4;
const I32: u8 = 8;
const I64: u8 = 10;
const STRING: u8 = 11;
const STRUCT: u8 = 12;
const LIST: u8 = 15;

fn compact(t: u8) -> u8 {
    match t {
        BOOL => 1,
        DOUBLE => 7,
        I32 => 5,
        I64 => 6,
        STRING => 8,
        STRUCT => 12,
        LIST => 9,
        _ => unreachable!(),
    }
}

impl<'a> Writer<'a> {
    pub fn new(proto: Protocol, out: &'a mut Vec<u8>) -> Self {
        Writer {
            proto,
            out,
            last: vec![0],
        }
    }

    pub fn batch(proto: Protocol, b: &thrift::Batch) -> Vec<u8> {
        let mut out = Vec::new();
        Writer::new(proto, &mut out).write_batch(b);
        out
    }

    /// An agent `emitBatch` oneway call.
    pub fn emit_batch(proto: Protocol, b: &thrift::Batch) -> Vec<u8> {
        let mut out = Vec::new();
        let mut w = Writer::new(proto, &mut out);
        w.message("emitBatch");
        w.field(STRUCT, 1);
        w.write_batch(b);
        w.stop();
        out
    }

    /// A call of `name` with no arguments.
    pub fn call(proto: Protocol, name: &str) -> Vec<u8> {
        let mut out = Vec::new();
        let mut w = Writer::new(proto, &mut out);
        w.message(name);
        w.stop();
        out
    }

    fn message(&mut self, name: &str) {
        match self.proto {
            Protocol::Compact => {
                self.out.extend([0x82, 0x81]); // oneway (4) << 5 | version 1
                self.varint(7);
                self.bytes(name.as_bytes());
            }
            Protocol::Binary => {
                self.out.extend(0x8001_0004u32.to_be_bytes());
                self.bytes(name.as_bytes());
                self.out.extend(7i32.to_be_bytes());
            }
        }
    }

    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.out.push(v as u8 | 0x80);
            v >>= 7;
        }
        self.out.push(v as u8);
    }

    fn field(&mut self, t: u8, id: i16) {
        match self.proto {
            Protocol::Binary => {
                self.out.push(t);
                self.out.extend(id.to_be_bytes());
            }
            Protocol::Compact => {
                let last = self.last.last_mut().unwrap();
                let d = id - *last;
                *last = id;
                // Bool fields are written by bool_field.
                if (1..=15).contains(&d) {
                    self.out.push(((d as u8) << 4) | compact(t));
                } else {
                    self.out.push(compact(t));
                    self.varint(((id << 1) ^ (id >> 15)) as u16 as u64);
                }
            }
        }
    }

    fn bool_field(&mut self, id: i16, v: bool) {
        match self.proto {
            Protocol::Binary => {
                self.field(BOOL, id);
                self.out.push(v as u8);
            }
            Protocol::Compact => {
                let last = self.last.last_mut().unwrap();
                let d = id - *last;
                *last = id;
                self.out.push(((d as u8) << 4) | if v { 1 } else { 2 });
            }
        }
    }

    fn stop(&mut self) {
        self.out.push(0);
    }

    fn begin(&mut self) {
        self.last.push(0);
    }

    fn end(&mut self) {
        self.stop();
        self.last.pop();
    }

    fn i64(&mut self, v: i64) {
        match self.proto {
            Protocol::Binary => self.out.extend(v.to_be_bytes()),
            Protocol::Compact => self.varint(((v << 1) ^ (v >> 63)) as u64),
        }
    }

    fn i32(&mut self, v: i32) {
        match self.proto {
            Protocol::Binary => self.out.extend(v.to_be_bytes()),
            Protocol::Compact => self.varint(((v << 1) ^ (v >> 31)) as u32 as u64),
        }
    }

    fn bytes(&mut self, b: &[u8]) {
        match self.proto {
            Protocol::Binary => self.out.extend((b.len() as i32).to_be_bytes()),
            Protocol::Compact => self.varint(b.len() as u64),
        }
        self.out.extend(b);
    }

    fn list(&mut self, elem: u8, n: usize) {
        match self.proto {
            Protocol::Binary => {
                self.out.push(elem);
                self.out.extend((n as i32).to_be_bytes());
            }
            Protocol::Compact => {
                if n < 15 {
                    self.out.push(((n as u8) << 4) | compact(elem));
                } else {
                    self.out.push(0xf0 | compact(elem));
                    self.varint(n as u64);
                }
            }
        }
    }

    fn tags(&mut self, id: i16, tags: &[thrift::Tag]) {
        self.field(LIST, id);
        self.list(STRUCT, tags.len());
        for t in tags {
            self.begin();
            self.field(STRING, 1);
            self.bytes(t.key.as_bytes());
            self.field(I32, 2);
            self.i32(t.v_type);
            if let Some(s) = &t.v_str {
                self.field(STRING, 3);
                self.bytes(s.as_bytes());
            }
            if let Some(d) = t.v_double {
                self.field(DOUBLE, 4);
                match self.proto {
                    Protocol::Binary => self.out.extend(d.to_be_bytes()),
                    Protocol::Compact => self.out.extend(d.to_le_bytes()),
                }
            }
            if let Some(b) = t.v_bool {
                self.bool_field(5, b);
            }
            if let Some(l) = t.v_long {
                self.field(I64, 6);
                self.i64(l);
            }
            if let Some(b) = &t.v_binary {
                self.field(STRING, 7);
                self.bytes(b);
            }
            self.end();
        }
    }

    fn process(&mut self, p: &thrift::Process) {
        self.begin();
        self.field(STRING, 1);
        self.bytes(p.service_name.as_bytes());
        if let Some(t) = &p.tags {
            self.tags(2, t);
        }
        self.end();
    }

    /// A Batch with its process and no spans field (a required field missing).
    pub fn struct_only_process(&mut self, p: &thrift::Process) {
        self.begin();
        self.field(STRUCT, 1);
        self.process(p);
        self.end();
    }

    fn write_batch(&mut self, b: &thrift::Batch) {
        self.begin();
        self.field(STRUCT, 1);
        self.process(&b.process);
        self.field(LIST, 2);
        self.list(STRUCT, b.spans.len());
        for s in &b.spans {
            self.begin();
            for (id, v) in [
                (1, s.trace_id_low),
                (2, s.trace_id_high),
                (3, s.span_id),
                (4, s.parent_span_id),
            ] {
                self.field(I64, id);
                self.i64(v);
            }
            self.field(STRING, 5);
            self.bytes(s.operation_name.as_bytes());
            if let Some(refs) = &s.references {
                self.field(LIST, 6);
                self.list(STRUCT, refs.len());
                for r in refs {
                    self.begin();
                    self.field(I32, 1);
                    self.i32(r.ref_type);
                    for (id, v) in [(2, r.trace_id_low), (3, r.trace_id_high), (4, r.span_id)] {
                        self.field(I64, id);
                        self.i64(v);
                    }
                    self.end();
                }
            }
            self.field(I32, 7);
            self.i32(s.flags);
            self.field(I64, 8);
            self.i64(s.start_time);
            self.field(I64, 9);
            self.i64(s.duration);
            if let Some(t) = &s.tags {
                self.tags(10, t);
            }
            if let Some(logs) = &s.logs {
                self.field(LIST, 11);
                self.list(STRUCT, logs.len());
                for l in logs {
                    self.begin();
                    self.field(I64, 1);
                    self.i64(l.timestamp);
                    self.tags(2, &l.fields);
                    self.end();
                }
            }
            self.end();
        }
        self.end();
    }
}
