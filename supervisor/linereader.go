package supervisor

import (
	"bufio"
	"errors"
	"io"
)

// readLines calls fn for every line of r (without its newline). A line longer
// than maxLen is cut to maxLen and the number of dropped bytes is passed, so
// one runaway line costs bounded memory and never stalls the reader. fn must
// not keep line after it returns. Returns nil at EOF.
func readLines(r io.Reader, maxLen int, fn func(line []byte, dropped int)) error {
	br := bufio.NewReaderSize(r, maxLen)
	for {
		chunk, err := br.ReadSlice('\n')
		switch {
		case err == nil:
			fn(trimEOL(chunk), 0)
		case errors.Is(err, bufio.ErrBufferFull):
			// chunk is exactly maxLen bytes; keep it and skip to the newline.
			// chunk aliases the reader's buffer, so copy before reading on.
			line := append([]byte(nil), chunk...)
			dropped, derr := discardLine(br)
			fn(line, dropped)
			if derr != nil {
				return eofIsNil(derr)
			}
		default:
			if len(chunk) > 0 { // last line without newline
				fn(trimEOL(chunk), 0)
			}
			return eofIsNil(err)
		}
	}
}

// discardLine skips up to and including the next newline, counting what it
// dropped (excluding the newline).
func discardLine(br *bufio.Reader) (int, error) {
	n := 0
	for {
		chunk, err := br.ReadSlice('\n')
		if err == nil {
			return n + len(chunk) - 1, nil
		}
		n += len(chunk)
		if !errors.Is(err, bufio.ErrBufferFull) {
			return n, err
		}
	}
}

func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b
}

func eofIsNil(err error) error {
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}
