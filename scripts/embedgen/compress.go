package main

import (
	"fmt"

	"github.com/klauspost/compress/zstd"
)

// compress zstd-compresses raw at the encoder's best level. The window is
// bounded so the runtime decoder's memory stays bounded (it is recorded in the
// manifest), the frame always declares its window (no single-segment frame
// whose window would be the whole content), and EncodeAll is single-threaded,
// so the output depends on the input bytes only: reproducible.
func compress(raw []byte, window int) ([]byte, error) {
	enc, err := zstd.NewWriter(nil,
		zstd.WithEncoderLevel(zstd.SpeedBestCompression),
		zstd.WithWindowSize(window),
		zstd.WithSingleSegment(false),
		zstd.WithEncoderConcurrency(1),
		zstd.WithEncoderCRC(true),
	)
	if err != nil {
		return nil, fmt.Errorf("zstd encoder (window %d): %w", window, err)
	}
	blob := enc.EncodeAll(raw, make([]byte, 0, len(raw)/2))
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("zstd encoder: %w", err)
	}
	return blob, nil
}
