package jaegerpeer

import (
	"time"

	"github.com/jaegertracing/jaeger-idl/model/v1"
	"github.com/jaegertracing/jaeger-idl/thrift-gen/jaeger"
	jaegerthriftcoverter "github.com/open-telemetry/opentelemetry-collector-contrib/pkg/translator/jaeger/jaegerthriftcoverter"
)

func strTag(k, v string) *jaeger.Tag {
	return &jaeger.Tag{Key: k, VType: jaeger.TagType_STRING, VStr: &v}
}

func longTag(k string, v int64) *jaeger.Tag {
	return &jaeger.Tag{Key: k, VType: jaeger.TagType_LONG, VLong: &v}
}

func boolTag(k string, v bool) *jaeger.Tag {
	return &jaeger.Tag{Key: k, VType: jaeger.TagType_BOOL, VBool: &v}
}

func doubleTag(k string, v float64) *jaeger.Tag {
	return &jaeger.Tag{Key: k, VType: jaeger.TagType_DOUBLE, VDouble: &v}
}

func binTag(k string, v []byte) *jaeger.Tag {
	return &jaeger.Tag{Key: k, VType: jaeger.TagType_BINARY, VBinary: v}
}

// ThriftBatches are Jaeger batches that exercise every translation rule:
// each tag type, span kinds, status from error / otel.status_code / HTTP
// codes, parents from parentSpanId and from references, links, logs with
// and without an event name, 64- and 128-bit trace ids, the process's
// hostname and jaeger.version, a blank span, an unknown tag type.
func ThriftBatches() []*jaeger.Batch {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC).UnixMicro()
	const hi, lo = int64(0x0102030405060708), int64(-0x1122334455667788)
	s := func(id int64, op string, tags ...*jaeger.Tag) *jaeger.Span {
		return &jaeger.Span{TraceIdHigh: hi, TraceIdLow: lo, SpanId: id, OperationName: op, Flags: 1, StartTime: now + id, Duration: 1000 * id, Tags: tags}
	}
	root := s(1, "GET /cart", strTag("span.kind", "server"), longTag("http.status_code", 404), doubleTag("ratio", 0.25), binTag("blob", []byte{0, 1, 2}), boolTag("cache.hit", false))
	root.Logs = []*jaeger.Log{
		{Timestamp: now + 10, Fields: []*jaeger.Tag{strTag("event", "cache miss"), longTag("size", 3)}},
		{Timestamp: now + 20, Fields: []*jaeger.Tag{strTag("message", "no name")}},
		{Timestamp: now + 30, Fields: []*jaeger.Tag{}},
	}
	child := s(2, "db.query", strTag("span.kind", "client"), longTag("http.status_code", 404), strTag("http.status_message", "not found"))
	child.ParentSpanId = 1
	refs := s(3, "refs", boolTag("error", true), strTag("otel.status_description", "boom"), strTag("span.kind", "producer"))
	refs.References = []*jaeger.SpanRef{
		{RefType: jaeger.SpanRefType_FOLLOWS_FROM, TraceIdHigh: 0, TraceIdLow: 99, SpanId: 7},
		{RefType: jaeger.SpanRefType_CHILD_OF, TraceIdHigh: hi, TraceIdLow: lo, SpanId: 2},
		{RefType: jaeger.SpanRefType_CHILD_OF, TraceIdHigh: hi, TraceIdLow: lo, SpanId: 1},
	}
	follows := &jaeger.Span{TraceIdLow: 42, SpanId: 4, OperationName: "follows", StartTime: now, Duration: 5,
		Tags:       []*jaeger.Tag{strTag("otel.status_code", "ok"), strTag("otel.status_description", "fine"), strTag("span.kind", "consumer")},
		References: []*jaeger.SpanRef{{RefType: jaeger.SpanRefType_FOLLOWS_FROM, TraceIdLow: 42, SpanId: 3}}}
	errs := s(5, "errors", boolTag("error", true), strTag("otel.status_code", "OK"), strTag("http.response.status_code", "503"), strTag("http.status_message", "unavailable"))
	errs.Flags = 2
	notErr := s(6, "not-an-error", strTag("error", "true"), strTag("span.kind", "internal"), strTag("w3c.tracestate", "k=v"), longTag("http.status_code", 503))
	unknown := s(7, "unknown-type", &jaeger.Tag{Key: "weird", VType: jaeger.TagType(9)}, strTag("span.kind", "bogus"), longTag("http.response.status_code", 200))
	blank := &jaeger.Span{}
	return []*jaeger.Batch{
		{
			Process: &jaeger.Process{ServiceName: "shop", Tags: []*jaeger.Tag{strTag("hostname", "host-1"), strTag("jaeger.version", "Go-2.30.0"), strTag("ip", "10.0.0.1"), longTag("pid", 42)}},
			Spans:   []*jaeger.Span{root, child, refs, follows, errs, notErr, unknown, blank},
		},
		{
			Process: &jaeger.Process{ServiceName: "", Tags: nil},
			Spans:   []*jaeger.Span{s(8, "no service")},
		},
		{
			Process: &jaeger.Process{ServiceName: "dup", Tags: []*jaeger.Tag{strTag("host.name", "kept"), strTag("hostname", "stays"), strTag("opencensus.exporterversion", "x"), strTag("jaeger.version", "y")}},
			Spans:   []*jaeger.Span{s(9, "dup-keys", strTag("k", "first"), strTag("k", "second"))},
		},
	}
}

// ProtoBatches are the thrift batches as api_v2 batches (every span
// carrying its process, as jaeger's converter does), plus one that only
// the proto translator has rules for: scope tags, w3c.tracestate, and spans
// whose own process differs from the batch's.
func ProtoBatches() []*model.Batch {
	var out []*model.Batch
	for _, b := range ThriftBatches() {
		spans := jaegerthriftcoverter.ToDomain(b.Spans, b.Process)
		out = append(out, &model.Batch{Spans: spans, Process: jaegerthriftcoverter.ToDomainProcess(b.Process)})
	}
	start := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	tid := model.NewTraceID(7, 8)
	other := &model.Process{ServiceName: "other", Tags: []model.KeyValue{model.String("hostname", "h2")}}
	out = append(out, &model.Batch{
		Process: &model.Process{ServiceName: "main"},
		Spans: []*model.Span{
			{TraceID: tid, SpanID: 1, OperationName: "scoped", StartTime: start, Duration: time.Millisecond,
				Tags: []model.KeyValue{model.String("otel.scope.name", "lib"), model.String("otel.scope.version", "1.2"), model.String("w3c.tracestate", "a=b")}},
			{TraceID: tid, SpanID: 2, OperationName: "scope-no-version", StartTime: start, Duration: time.Millisecond,
				Tags:       []model.KeyValue{model.String("otel.scope.name", "lib"), model.Int64("n", 1)},
				References: []model.SpanRef{{TraceID: tid, SpanID: 1, RefType: model.ChildOf}}},
			{TraceID: tid, SpanID: 3, OperationName: "own-process", StartTime: start, Duration: time.Second, Process: other,
				Tags: []model.KeyValue{{Key: "weird", VType: model.ValueType(9)}, model.Binary("b", []byte("xy")), model.Float64("f", 1.5), model.Bool("t", true)}},
			{TraceID: tid, SpanID: 4, OperationName: "same-other", StartTime: start, Process: other,
				Logs: []model.Log{{Timestamp: start.Add(time.Microsecond), Fields: []model.KeyValue{model.String("event", "e")}}}},
		},
	})
	return out
}
