package partition

// part is one generated pipeline: a stretch of a user pipeline that runs in
// a single runtime. Bridges are attached through in/out (indices of links).
type part struct {
	rt         Runtime
	receivers  []ref // user receivers and connectors
	processors []ref
	exporters  []ref // user exporters and connectors
	in, out    []int // links arriving at / leaving this part
	name       string
}

// link is one crossing between two parts of the same user pipeline; every
// link becomes exactly one bridge (one exporter, one receiver, one socket).
type link struct{ from, to int }

type segment struct {
	rt    Runtime
	procs []ref
}

// splitPipeline cuts one user pipeline into single-runtime parts joined by
// links, so that every (receiver, processors…, exporter) path of the user
// pipeline is a path through the parts exactly once:
//
//   - The processor chain is cut into maximal same-runtime segments, linked in
//     order. Receivers of the first segment's runtime feed it directly; the
//     others get an "entry" part in their runtime that only bridges in.
//     Likewise exporters of the last segment's runtime hang off it, the others
//     off an "exit" part reached by one more bridge.
//   - Without processors there is no shared chain, so each runtime's receivers
//     get a "direct" part to their own exporters plus a bridge to a "tail" part
//     holding the other runtime's exporters. A tail must never forward again
//     (that would duplicate data), so it is merged into the direct part only
//     when that part has no bridge out.
//
// Parts are returned in flow order; links only point forward, so no loop is possible.
func splitPipeline(p pipelineSpec, rtOf func(ref) Runtime) ([]*part, []link) {
	var parts []*part
	var links []link
	add := func(pt *part) int {
		parts = append(parts, pt)
		return len(parts) - 1
	}
	connect := func(from, to int) {
		links = append(links, link{from, to})
		parts[from].out = append(parts[from].out, len(links)-1)
		parts[to].in = append(parts[to].in, len(links)-1)
	}
	recv := byRuntime(p.receivers, rtOf)
	exp := byRuntime(p.exporters, rtOf)
	segs := segments(p.processors, rtOf)

	if len(segs) == 0 {
		direct := map[Runtime]int{}
		for _, rt := range []Runtime{Go, Rust} {
			if len(recv[rt]) > 0 {
				direct[rt] = add(&part{rt: rt, receivers: recv[rt], exporters: exp[rt]})
			}
		}
		for _, rt := range []Runtime{Go, Rust} {
			src, ok := direct[rt.other()]
			if !ok || len(exp[rt]) == 0 {
				continue
			}
			if dst, ok := direct[rt]; ok && len(exp[rt.other()]) == 0 {
				connect(src, dst) // dst has no bridge out: merging cannot loop back
				continue
			}
			connect(src, add(&part{rt: rt, exporters: exp[rt]}))
		}
		return parts, links
	}

	first, last := segs[0].rt, segs[len(segs)-1].rt
	prev := -1
	if len(recv[first.other()]) > 0 {
		prev = add(&part{rt: first.other(), receivers: recv[first.other()]})
	}
	for i, s := range segs {
		pt := &part{rt: s.rt, processors: s.procs}
		if i == 0 {
			pt.receivers = recv[first]
		}
		if i == len(segs)-1 {
			pt.exporters = exp[last]
		}
		idx := add(pt)
		if prev >= 0 {
			connect(prev, idx)
		}
		prev = idx
	}
	if len(exp[last.other()]) > 0 {
		connect(prev, add(&part{rt: last.other(), exporters: exp[last.other()]}))
	}
	return parts, links
}

// byRuntime keeps the user's order inside each runtime.
func byRuntime(refs []ref, rtOf func(ref) Runtime) map[Runtime][]ref {
	out := map[Runtime][]ref{}
	for _, r := range refs {
		out[rtOf(r)] = append(out[rtOf(r)], r)
	}
	return out
}

// segments cuts a processor chain into maximal runs of one runtime.
func segments(procs []ref, rtOf func(ref) Runtime) []segment {
	var out []segment
	for _, r := range procs {
		rt := rtOf(r)
		if n := len(out); n > 0 && out[n-1].rt == rt {
			out[n-1].procs = append(out[n-1].procs, r)
			continue
		}
		out = append(out, segment{rt: rt, procs: []ref{r}})
	}
	return out
}
