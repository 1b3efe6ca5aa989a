package jaegerpeer

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Canonical renders every span with its resource and scope as one JSON line
// each, sorted: two deliveries are equal when these are. Resource and span
// order are not compared because the Go translator groups spans through a
// map; attribute maps compare by content (JSON objects sort their keys).
func Canonical(td ptrace.Traces) []string {
	var out []string
	for i := 0; i < td.ResourceSpans().Len(); i++ {
		rs := td.ResourceSpans().At(i)
		res := rs.Resource().Attributes().AsRaw()
		for j := 0; j < rs.ScopeSpans().Len(); j++ {
			ss := rs.ScopeSpans().At(j)
			for k := 0; k < ss.Spans().Len(); k++ {
				out = append(out, spanLine(res, ss.Scope(), ss.Spans().At(k)))
			}
		}
	}
	sort.Strings(out)
	return out
}

func attrs(m pcommon.Map) map[string]any {
	raw := m.AsRaw()
	// []byte and float values print unambiguously through %#v.
	for k, v := range raw {
		switch x := v.(type) {
		case []byte:
			raw[k] = "bytes:" + hex.EncodeToString(x)
		case float64:
			raw[k] = fmt.Sprintf("double:%v", x)
		}
	}
	return raw
}

func spanLine(res map[string]any, scope pcommon.InstrumentationScope, s ptrace.Span) string {
	var events []any
	for i := 0; i < s.Events().Len(); i++ {
		e := s.Events().At(i)
		events = append(events, map[string]any{"t": uint64(e.Timestamp()), "name": e.Name(), "attrs": attrs(e.Attributes())})
	}
	var links []any
	for i := 0; i < s.Links().Len(); i++ {
		l := s.Links().At(i)
		links = append(links, map[string]any{"trace": l.TraceID().String(), "span": l.SpanID().String(), "state": l.TraceState().AsRaw(), "flags": l.Flags(), "attrs": attrs(l.Attributes())})
	}
	line := map[string]any{
		"resource":   res,
		"scope":      []string{scope.Name(), scope.Version()},
		"trace":      s.TraceID().String(),
		"span":       s.SpanID().String(),
		"parent":     s.ParentSpanID().String(),
		"tracestate": s.TraceState().AsRaw(),
		"flags":      s.Flags(),
		"name":       s.Name(),
		"kind":       s.Kind().String(),
		"start":      uint64(s.StartTimestamp()),
		"end":        uint64(s.EndTimestamp()),
		"attrs":      attrs(s.Attributes()),
		"events":     events,
		"links":      links,
		"status":     []any{s.Status().Code().String(), s.Status().Message()},
	}
	b, err := json.Marshal(line)
	if err != nil {
		panic(err)
	}
	return string(b)
}
