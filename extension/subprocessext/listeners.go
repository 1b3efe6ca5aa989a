package subprocessext

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/otelcol-hybrid/otelcol-hybrid/collector/loopback"
)

// listenerHandoff is what the tcp transport's reserved ports become for one
// extension: the listening sockets every child inherits, and the ports to
// free when the extension stops.
type listenerHandoff struct {
	files []*os.File // fd 3, 4, ... of the child, in order
	addrs []string   // held by this process until release
	// goSide are held ports a Go bridge receiver binds itself: held until
	// the child is serving, then released for the receiver (releaseGoSide).
	goSide []string
}

// handOffListeners gives the child the listeners this process holds for it
// (loopback.File): in a copy of the Rust half, the endpoint of every
// receiver and extension (the bridge receivers and the health listener)
// this process holds becomes fd://N, N the fd the child inherits the socket
// as. A held endpoint an exporter dials is a Go bridge receiver's, which
// binds it itself (see releaseGoSide). half is not modified.
func handOffListeners(half map[string]any) (map[string]any, *listenerHandoff) {
	h := &listenerHandoff{}
	if half == nil {
		return half, h
	}
	out := make(map[string]any, len(half))
	for k, v := range half {
		out[k] = v
	}
	type ref struct {
		addr string
		set  func(string)
	}
	var listeners []ref
	for _, section := range []string{"receivers", "extensions", "exporters"} {
		comps, ok := half[section].(map[string]any)
		if !ok {
			continue
		}
		comps = deepCopy(comps).(map[string]any)
		out[section] = comps
		eachEndpoint(comps, func(addr string, set func(string)) {
			if _, held := loopback.File(addr); !held {
				return
			}
			if section == "exporters" {
				if !slices.Contains(h.goSide, addr) {
					h.goSide = append(h.goSide, addr)
				}
				return
			}
			listeners = append(listeners, ref{addr, set})
		})
	}
	// Sorted, so that a config gives the same fd numbers every time.
	slices.SortFunc(listeners, func(a, b ref) int { return strings.Compare(a.addr, b.addr) })
	for _, l := range listeners {
		f, _ := loopback.File(l.addr)
		h.files = append(h.files, f)
		h.addrs = append(h.addrs, l.addr)
		l.set(fmt.Sprintf("fd://%d", 2+len(h.files)))
	}
	return out, h
}

// releaseGoSide frees the Go bridge receivers' ports for them to bind,
// which they do when the pipelines start, after this extension's Start. The
// stock Go otlp receiver binds its endpoint itself and cannot be handed a
// socket, so these ports are free from here until it binds: called once
// the child is serving, that gap is as short as the collector's start
// order allows. Until then a child's bridge exporter that connects reaches
// this process's socket, which nobody reads.
func (h *listenerHandoff) releaseGoSide() {
	if h == nil {
		return
	}
	for _, a := range h.goSide {
		loopback.Release(a)
	}
	h.goSide = nil
}

// release frees the ports once no child of this extension will serve on
// them again.
func (h *listenerHandoff) release() {
	if h == nil {
		return
	}
	h.releaseGoSide()
	for _, a := range h.addrs {
		loopback.Release(a)
	}
	h.files, h.addrs = nil, nil
}

// eachEndpoint calls f for every string "endpoint" setting under v, with a
// setter replacing it.
func eachEndpoint(v any, f func(addr string, set func(string))) {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if s, ok := x.(string); ok && k == "endpoint" {
				f(s, func(n string) { t[k] = n })
				continue
			}
			eachEndpoint(x, f)
		}
	case []any:
		for _, x := range t {
			eachEndpoint(x, f)
		}
	}
}

func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = deepCopy(x)
		}
		return m
	case []any:
		s := make([]any, len(t))
		for i, x := range t {
			s[i] = deepCopy(x)
		}
		return s
	}
	return v
}
