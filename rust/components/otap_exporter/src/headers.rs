//! Per-batch metadata as the OTel Arrow protocol carries it: an HPACK block in
//! `BatchArrowRecords.headers`, which the receiver merges into the request's
//! client metadata. Only "literal without indexing, new name" fields are
//! written, so the receiver's per-stream HPACK table never changes and every
//! batch decodes on its own (also after a retry on another stream).

/// Appends one header field.
pub fn append(block: &mut Vec<u8>, name: &str, value: &str) {
    block.push(0x00);
    string(block, name.as_bytes());
    string(block, value.as_bytes());
}

/// A string literal without Huffman coding (RFC 7541 §5.2).
fn string(block: &mut Vec<u8>, s: &[u8]) {
    integer(block, 7, 0, s.len());
    block.extend_from_slice(s);
}

/// An integer with an N-bit prefix (RFC 7541 §5.1).
fn integer(block: &mut Vec<u8>, prefix_bits: u8, flags: u8, mut v: usize) {
    let max = (1usize << prefix_bits) - 1;
    if v < max {
        block.push(flags | v as u8);
        return;
    }
    block.push(flags | max as u8);
    v -= max;
    while v >= 128 {
        block.push((v % 128) as u8 | 0x80);
        v /= 128;
    }
    block.push(v as u8);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7541_c_2_2_literal_without_indexing() {
        // C.2.2 uses an indexed name; the new-name form is the same with
        // the name spelled out after a zero byte.
        let mut b = Vec::new();
        append(&mut b, "custom-key", "custom-header");
        let mut want = vec![0x00, 0x0a];
        want.extend_from_slice(b"custom-key");
        want.push(0x0d);
        want.extend_from_slice(b"custom-header");
        assert_eq!(b, want);
    }

    #[test]
    fn rfc7541_c_1_2_multi_byte_integers() {
        let mut b = Vec::new();
        integer(&mut b, 5, 0, 1337);
        assert_eq!(b, [0x1f, 0x9a, 0x0a]);
        let mut b = Vec::new();
        string(&mut b, &[b'x'; 200]);
        assert_eq!(&b[..3], [0x7f, 0x49, b'x']);
    }
}
