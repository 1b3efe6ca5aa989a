//! `compression: zstd` at the level `arrow.zstd` asks for. tonic compresses
//! zstd only at the library default, while the Go otelarrowexporter lets the
//! operator trade CPU for bytes (`arrow.zstd.level`, 1–10, default 5, and
//! `window_size_mib`). So the exporter's channel compresses the gRPC
//! messages itself: tonic writes them uncompressed, and this layer rewrites
//! each length-prefixed message into a compressed one (flag 1, new length)
//! and names the encoding in `grpc-encoding`, which any gRPC zstd decoder
//! reads whatever the level.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Buf, BufMut, Bytes, BytesMut};
use http_body::Frame;
use tonic::Status;
use tonic::body::Body;
use tonic::transport::Channel;

/// The Go exporter's default level.
pub const DEFAULT_LEVEL: i32 = 5;
/// The level range the Go exporter accepts.
pub const LEVELS: std::ops::RangeInclusive<i32> = 1..=10;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZstdLevel {
    pub level: i32,
    /// log2 of the window; None keeps zstd's choice for the level.
    pub window_log: Option<u32>,
}

impl Default for ZstdLevel {
    fn default() -> Self {
        ZstdLevel {
            level: DEFAULT_LEVEL,
            window_log: None,
        }
    }
}

/// A channel whose requests are zstd-compressed by this layer (when
/// `zstd` is set) instead of by tonic.
#[derive(Clone, Debug)]
pub struct Transport {
    inner: Channel,
    zstd: Option<ZstdLevel>,
}

impl Transport {
    pub fn new(inner: Channel, zstd: Option<ZstdLevel>) -> Self {
        Transport { inner, zstd }
    }
}

impl tower::Service<http::Request<Body>> for Transport {
    type Response = http::Response<Body>;
    type Error = tonic::transport::Error;
    type Future = tonic::transport::channel::ResponseFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<Body>) -> Self::Future {
        let Some(zstd) = self.zstd else {
            return self.inner.call(req);
        };
        let (mut parts, body) = req.into_parts();
        parts
            .headers
            .insert("grpc-encoding", http::HeaderValue::from_static("zstd"));
        let body = Body::new(Recompress {
            inner: body,
            pending: BytesMut::new(),
            zstd,
            compressor: None,
        });
        self.inner.call(http::Request::from_parts(parts, body))
    }
}

/// The request body, one compressed gRPC message per uncompressed one.
struct Recompress {
    inner: Body,
    /// Bytes of a message not yet complete.
    pending: BytesMut,
    zstd: ZstdLevel,
    /// Made on the first message; one per stream, reused.
    compressor: Option<zstd::bulk::Compressor<'static>>,
}

const HEADER: usize = 5;

impl Recompress {
    /// The next whole message, compressed; None until one is complete.
    fn next_message(&mut self) -> Result<Option<Bytes>, Status> {
        if self.pending.len() < HEADER {
            return Ok(None);
        }
        let len = u32::from_be_bytes([self.pending[1], self.pending[2], self.pending[3], self.pending[4]]) as usize;
        if self.pending.len() < HEADER + len {
            return Ok(None);
        }
        let mut message = self.pending.split_to(HEADER + len);
        if message[0] != 0 {
            // Already compressed by someone else: leave it be.
            return Ok(Some(message.freeze()));
        }
        message.advance(HEADER);
        let compressor = match &mut self.compressor {
            Some(c) => c,
            None => self.compressor.insert(new_compressor(self.zstd)?),
        };
        let compressed = compressor
            .compress(&message)
            .map_err(|e| Status::internal(format!("zstd level {}: {e}", self.zstd.level)))?;
        let mut out = BytesMut::with_capacity(HEADER + compressed.len());
        out.put_u8(1);
        out.put_u32(compressed.len() as u32);
        out.extend_from_slice(&compressed);
        Ok(Some(out.freeze()))
    }
}

fn new_compressor(z: ZstdLevel) -> Result<zstd::bulk::Compressor<'static>, Status> {
    let fail = |e: std::io::Error| Status::internal(format!("zstd level {}: {e}", z.level));
    let mut c = zstd::bulk::Compressor::new(z.level).map_err(fail)?;
    if let Some(w) = z.window_log {
        c.set_parameter(zstd::zstd_safe::CParameter::WindowLog(w))
            .map_err(fail)?;
    }
    Ok(c)
}

impl http_body::Body for Recompress {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        let this = self.get_mut();
        loop {
            if let Some(message) = this.next_message()? {
                return Poll::Ready(Some(Ok(Frame::data(message))));
            }
            match ready!(Pin::new(&mut this.inner).poll_frame(cx)) {
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => this.pending.extend_from_slice(&data),
                    Err(trailers) => return Poll::Ready(Some(Ok(trailers))),
                },
                Some(Err(e)) => return Poll::Ready(Some(Err(e))),
                None if this.pending.is_empty() => return Poll::Ready(None),
                None => {
                    return Poll::Ready(Some(Err(Status::internal(format!(
                        "request body ended inside a gRPC message ({} bytes left)",
                        this.pending.len()
                    )))));
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.pending.is_empty() && self.inner.is_end_stream()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    fn frame(flag: u8, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![flag];
        v.extend_from_slice(&(payload.len() as u32).to_be_bytes());
        v.extend_from_slice(payload);
        v
    }

    /// Messages split across and packed into body chunks come out as one
    /// compressed message each, which zstd decodes back.
    #[tokio::test]
    async fn recompresses_each_message_across_chunk_boundaries() {
        let a = vec![b'a'; 3000];
        let b: Vec<u8> = (0..2000u32).flat_map(|i| (i % 7).to_le_bytes()).collect();
        let mut wire = frame(0, &a);
        wire.extend(frame(0, &b));
        wire.extend(frame(0, b""));
        // Chunks of 7 bytes: headers and payloads straddle them.
        let chunks: Vec<Result<Frame<Bytes>, Status>> = wire
            .chunks(7)
            .map(|c| Ok(Frame::data(Bytes::copy_from_slice(c))))
            .collect();
        let inner = Body::new(http_body_util::StreamBody::new(futures::stream::iter(chunks)));
        let body = Recompress {
            inner,
            pending: BytesMut::new(),
            zstd: ZstdLevel {
                level: 9,
                window_log: Some(20),
            },
            compressor: None,
        };
        let out = body.collect().await.unwrap().to_bytes();
        let mut rest = &out[..];
        let mut got = Vec::new();
        while !rest.is_empty() {
            assert_eq!(rest[0], 1, "compressed flag");
            let len = u32::from_be_bytes(rest[1..5].try_into().unwrap()) as usize;
            got.push(zstd::stream::decode_all(&rest[5..5 + len]).unwrap());
            rest = &rest[5 + len..];
        }
        assert_eq!(got, vec![a.clone(), b, Vec::new()]);
        assert!(out.len() < wire.len() / 2, "compressed {} of {}", out.len(), wire.len());
    }

    #[tokio::test]
    async fn a_body_cut_inside_a_message_is_an_error() {
        let wire = frame(0, b"hello")[..7].to_vec();
        let chunks: Vec<Result<Frame<Bytes>, Status>> = vec![Ok(Frame::data(Bytes::from(wire)))];
        let inner = Body::new(http_body_util::StreamBody::new(futures::stream::iter(chunks)));
        let body = Recompress {
            inner,
            pending: BytesMut::new(),
            zstd: ZstdLevel::default(),
            compressor: None,
        };
        let err = body.collect().await.unwrap_err();
        assert!(err.message().contains("ended inside a gRPC message"), "{err}");
    }

    /// Higher levels give fewer bytes on compressible data: the level is
    /// really applied.
    #[test]
    fn the_level_is_applied() {
        let data: Vec<u8> = (0..200_000u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8 % 16)
            .collect();
        let size = |level| {
            let mut r = Recompress {
                inner: Body::empty(),
                pending: BytesMut::from(&frame(0, &data)[..]),
                zstd: ZstdLevel {
                    level,
                    window_log: None,
                },
                compressor: None,
            };
            r.next_message().unwrap().unwrap().len()
        };
        assert!(size(10) < size(1), "level 10: {} bytes, level 1: {}", size(10), size(1));
    }
}
