package main

import (
	"bytes"
	"math/rand"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// sample is 2 MiB of compressible but not trivial bytes, like an executable.
func sample() []byte {
	r := rand.New(rand.NewSource(1))
	words := [][]byte{[]byte("tokio::runtime"), []byte("\x00\x00\x00\x48\x89\xe5"), []byte("opentelemetry.proto"), []byte("tonic::transport")}
	var b bytes.Buffer
	for b.Len() < 2<<20 {
		b.Write(words[r.Intn(len(words))])
		b.WriteByte(byte(r.Intn(256)))
	}
	return b.Bytes()
}

func TestCompressRoundTripDeterministic(t *testing.T) {
	raw := sample()
	a, err := compress(raw, defaultWindow)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := compress(raw, defaultWindow)
	if !bytes.Equal(a, b) {
		t.Fatal("two compressions of the same input differ")
	}
	if len(a) >= len(raw)/2 {
		t.Errorf("compressed %d → %d: best level should do far better", len(raw), len(a))
	}
	dec, _ := zstd.NewReader(nil)
	defer dec.Close()
	got, err := dec.DecodeAll(a, nil)
	if err != nil || !bytes.Equal(got, raw) {
		t.Fatalf("round trip: %v", err)
	}
}

// The window recorded in the manifest must be enough for a decoder bounded
// to it, and the frame must really declare it (a smaller bound is refused).
func TestCompressWindowBound(t *testing.T) {
	const window = 64 << 10
	raw := sample()
	blob, err := compress(raw, window)
	if err != nil {
		t.Fatal(err)
	}
	ok, _ := zstd.NewReader(nil, zstd.WithDecoderMaxWindow(window), zstd.WithDecoderConcurrency(1))
	defer ok.Close()
	if got, err := ok.DecodeAll(blob, nil); err != nil || !bytes.Equal(got, raw) {
		t.Fatalf("decoder bounded to the recorded window: %v", err)
	}
	small, _ := zstd.NewReader(nil, zstd.WithDecoderMaxWindow(window/2), zstd.WithDecoderConcurrency(1))
	defer small.Close()
	if _, err := small.DecodeAll(blob, nil); err == nil {
		t.Fatal("decoder bounded below the window accepted the frame: window not declared")
	}
}
