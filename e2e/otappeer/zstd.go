package otappeer

import (
	"io"

	"github.com/klauspost/compress/zstd"
	"google.golang.org/grpc/encoding"
	_ "google.golang.org/grpc/encoding/gzip" // otlp_rust and the fallback send gzip
)

// zstd is the OTel Arrow exporters' default gRPC compression; grpc-go has no
// built-in zstd codec, so the peer registers one, as the contrib
// otelarrowreceiver does.
func init() { encoding.RegisterCompressor(zstdCompressor{}) }

type zstdCompressor struct{}

func (zstdCompressor) Name() string { return "zstd" }

func (zstdCompressor) Compress(w io.Writer) (io.WriteCloser, error) {
	return zstd.NewWriter(w)
}

func (zstdCompressor) Decompress(r io.Reader) (io.Reader, error) {
	d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
	if err != nil {
		return nil, err
	}
	return d.IOReadCloser(), nil
}
