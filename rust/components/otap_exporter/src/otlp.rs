//! The plain OTLP/gRPC path, for servers without the Arrow services: one
//! unary Export with the request bytes as they came, like otlp_rust sends them.

use std::marker::PhantomData;

use crate::zstd_level::Transport;
use bytes::{BufMut, Bytes};
use http::uri::PathAndQuery;
use otelcol_core::Signal;
use tonic::codec::{Codec, CompressionEncoding, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::metadata::MetadataMap;
use tonic::{Request, Status};

use crate::config::Compression;

fn path(signal: Signal) -> PathAndQuery {
    PathAndQuery::from_static(match signal {
        Signal::Traces => "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
        Signal::Metrics => "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
        Signal::Logs => "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
    })
}

/// Sends `body` (an encoded Export*ServiceRequest) once. The response's
/// partial_success is not read: like the Go exporter, a 200 is delivery.
pub async fn export(
    ch: Transport,
    signal: Signal,
    metadata: MetadataMap,
    body: Bytes,
    compression: Compression,
    timeout: std::time::Duration,
) -> Result<(), Status> {
    let mut grpc = tonic::client::Grpc::new(ch)
        .accept_compressed(CompressionEncoding::Gzip)
        .accept_compressed(CompressionEncoding::Zstd);
    grpc = match compression {
        // zstd: the channel compresses, at arrow.zstd's level.
        Compression::None | Compression::Zstd => grpc,
        Compression::Gzip => grpc.send_compressed(CompressionEncoding::Gzip),
    };
    grpc.ready()
        .await
        .map_err(|e| Status::unavailable(format!("not connected: {e}")))?;
    let mut req = Request::from_parts(metadata, Default::default(), body);
    req.set_timeout(timeout);
    grpc.unary(req, path(signal), RawCodec).await.map(|_| ())
}

/// Writes the pre-encoded request as is; ignores the response body.
#[derive(Default)]
struct RawCodec;

impl Codec for RawCodec {
    type Encode = Bytes;
    type Decode = ();
    type Encoder = RawCodec;
    type Decoder = Ignore;

    fn encoder(&mut self) -> RawCodec {
        RawCodec
    }

    fn decoder(&mut self) -> Ignore {
        Ignore(PhantomData)
    }
}

impl Encoder for RawCodec {
    type Item = Bytes;
    type Error = Status;

    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put(item);
        Ok(())
    }
}

struct Ignore(PhantomData<()>);

impl Decoder for Ignore {
    type Item = ();
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<()>, Status> {
        use bytes::Buf;
        let n = src.remaining();
        src.advance(n);
        Ok(Some(()))
    }
}
