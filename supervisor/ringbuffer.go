package supervisor

import (
	"strings"
	"sync"
)

// ringBuffer keeps the last cap bytes written to it, so a crash report can
// carry the child's final words without the parent holding its whole output.
type ringBuffer struct {
	mu   sync.Mutex
	buf  []byte
	next int  // write position once full
	full bool // buf has wrapped at least once
}

func newRingBuffer(capacity int) *ringBuffer {
	return &ringBuffer{buf: make([]byte, 0, capacity)}
}

func (r *ringBuffer) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(p)
	c := cap(r.buf)
	if len(p) >= c {
		r.buf = append(r.buf[:0], p[len(p)-c:]...)
		r.next, r.full = 0, true
		return n, nil
	}
	if !r.full {
		room := c - len(r.buf)
		if len(p) <= room {
			r.buf = append(r.buf, p...)
			return n, nil
		}
		r.buf = append(r.buf, p[:room]...)
		p = p[room:]
		r.full, r.next = true, 0
	}
	for len(p) > 0 {
		k := copy(r.buf[r.next:], p)
		p = p[k:]
		r.next = (r.next + k) % c
	}
	return n, nil
}

// String returns the buffered bytes, oldest first.
func (r *ringBuffer) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.full {
		return string(r.buf)
	}
	return string(r.buf[r.next:]) + string(r.buf[:r.next])
}

// LastLines returns up to n complete trailing lines (a line cut by the ring's
// start is dropped unless it is all there is).
func (r *ringBuffer) LastLines(n int) []string {
	s := strings.TrimRight(r.String(), "\n")
	if s == "" {
		return nil
	}
	lines := strings.Split(s, "\n")
	r.mu.Lock()
	wrapped := r.full
	r.mu.Unlock()
	if wrapped && len(lines) > 1 {
		lines = lines[1:]
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}
