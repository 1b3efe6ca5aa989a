package extract

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"

	"github.com/klauspost/compress/zstd"
)

// checkCompressedSize is the cheap up-front check of the blob.
func checkCompressedSize(a Artifact, blob []byte) error {
	if int64(len(blob)) != a.CompressedSize {
		return &contentError{fmt.Errorf("extract: %s: compressed blob is %d bytes, manifest says %d", a.Name, len(blob), a.CompressedSize)}
	}
	return nil
}

// verifyCompressed checks the blob against the manifest before it reaches
// the decoder, so a tampered blob is never even parsed. decodeTo calls it,
// so no path can decompress unverified bytes; a warm start, which
// decompresses nothing and verifies the cached file against RawSHA256
// instead, skips this hash (about a third of its cost).
func verifyCompressed(a Artifact, blob []byte) error {
	if err := checkCompressedSize(a, blob); err != nil {
		return err
	}
	sum := sha256.Sum256(blob)
	if got := hex.EncodeToString(sum[:]); !strings.EqualFold(got, a.CompressedSHA256) {
		return &ChecksumError{What: "compressed blob", Name: a.Name, Want: a.CompressedSHA256, Got: got}
	}
	return nil
}

// decodeTo decompresses blob into w while hashing what it writes, and checks
// the raw size and digest. A nil error means w received exactly the bytes
// the manifest describes; on error w holds garbage the caller must discard.
func decodeTo(w io.Writer, a Artifact, blob []byte, maxMem uint64) error {
	if err := verifyCompressed(a, blob); err != nil {
		return err
	}
	window := maxMem
	if window > zstd.MaxWindowSize {
		window = zstd.MaxWindowSize
	}
	if window < zstd.MinWindowSize {
		window = zstd.MinWindowSize
	}
	// Concurrency 1: decoding is synchronous, no goroutine fan-out and no
	// in-flight block buffers beyond one window.
	dec, err := zstd.NewReader(bytes.NewReader(blob),
		zstd.WithDecoderConcurrency(1),
		zstd.WithDecoderMaxMemory(maxMem),
		zstd.WithDecoderMaxWindow(window))
	if err != nil {
		return fmt.Errorf("extract: %s: zstd decoder: %w", a.Name, err)
	}
	defer dec.Close()

	h := sha256.New()
	lw := &limitedHashWriter{name: a.Name, w: w, h: h, left: a.RawSize}
	n, err := dec.WriteTo(lw)
	if err != nil {
		if lw.err != nil {
			return lw.err // the writer's own error (ENOSPC, size limit) is the clear one
		}
		if errors.Is(err, zstd.ErrWindowSizeExceeded) || errors.Is(err, zstd.ErrDecoderSizeExceeded) {
			return &contentError{fmt.Errorf("extract: %s: decompress: %w (decoder memory bound %d bytes)", a.Name, err, maxMem)}
		}
		return &contentError{fmt.Errorf("extract: %s: decompress: %w", a.Name, err)}
	}
	if n != a.RawSize {
		return &contentError{fmt.Errorf("extract: %s: decompressed %d bytes, manifest says %d", a.Name, n, a.RawSize)}
	}
	if got := hex.EncodeToString(h.Sum(nil)); !strings.EqualFold(got, a.RawSHA256) {
		return &ChecksumError{What: "decompressed executable", Name: a.Name, Want: a.RawSHA256, Got: got}
	}
	return nil
}

// limitedHashWriter hashes and forwards bytes, refusing anything beyond the
// manifest's raw size so a hostile blob cannot fill a disk or memfd.
type limitedHashWriter struct {
	name string
	w    io.Writer
	h    hash.Hash
	left int64
	err  error
}

func (l *limitedHashWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > l.left {
		l.err = &contentError{fmt.Errorf("extract: %s: decompressed data exceeds the manifest's raw size", l.name)}
		return 0, l.err
	}
	n, err := l.w.Write(p)
	l.h.Write(p[:n])
	l.left -= int64(n)
	if err != nil {
		l.err = fmt.Errorf("extract: %s: write: %w", l.name, err)
	}
	return n, l.err
}

// hashReader returns the hex sha256 of everything r yields.
func hashReader(r io.Reader) (string, int64, error) {
	h := sha256.New()
	buf := make([]byte, 1<<20)
	n, err := io.CopyBuffer(h, r, buf)
	return hex.EncodeToString(h.Sum(nil)), n, err
}

// hashFile returns the hex sha256 of the first size bytes of f, failing if
// the file is shorter.
func hashFile(f io.Reader, size int64) (string, error) {
	got, n, err := hashReader(io.LimitReader(f, size))
	if err != nil {
		return "", err
	}
	if n != size {
		return "", fmt.Errorf("short read: %d of %d bytes", n, size)
	}
	return got, nil
}
