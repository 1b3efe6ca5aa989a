package otappeer

import (
	"fmt"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

var t0 = pcommon.NewTimestampFromTime(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC))

// attrs fills m with one attribute of every value type, varied by i.
func attrs(m pcommon.Map, prefix string, i int) {
	m.PutStr(prefix+".str", fmt.Sprintf("value-%d", i%7))
	m.PutInt(prefix+".int", int64(i*3-5))
	m.PutDouble(prefix+".double", float64(i)+0.25)
	m.PutBool(prefix+".bool", i%2 == 0)
	m.PutEmptyBytes(prefix + ".bytes").FromRaw([]byte{0xde, 0xad, byte(i)})
	s := m.PutEmptySlice(prefix + ".slice")
	s.AppendEmpty().SetStr("a")
	s.AppendEmpty().SetInt(int64(i))
	kv := m.PutEmptyMap(prefix + ".map")
	kv.PutStr("k", "v")
	kv.PutDouble("d", 1.5)
}

func resource(r pcommon.Resource, i int) {
	r.Attributes().PutStr("service.name", fmt.Sprintf("svc-%d", i))
	attrs(r.Attributes(), "res", i)
}

func scope(s pcommon.InstrumentationScope, i int) {
	s.SetName(fmt.Sprintf("scope-%d", i))
	s.SetVersion("1.2.3")
	attrs(s.Attributes(), "scope", i)
}

// Metrics holds every metric type: int and double gauges, monotonic and
// non-monotonic sums, histograms, exponential histograms and summaries, with
// exemplars and attributes of every value type. n scales the point count.
func Metrics(n int) pmetric.Metrics {
	md := pmetric.NewMetrics()
	for r := 0; r < 2; r++ {
		rm := md.ResourceMetrics().AppendEmpty()
		resource(rm.Resource(), r)
		rm.SetSchemaUrl("https://opentelemetry.io/schemas/1.21.0")
		sm := rm.ScopeMetrics().AppendEmpty()
		scope(sm.Scope(), r)
		for i := 0; i < n; i++ {
			ts := t0 + pcommon.Timestamp(i)*pcommon.Timestamp(time.Second)

			g := sm.Metrics().AppendEmpty()
			g.SetName(fmt.Sprintf("gauge.%d", i%5))
			g.SetDescription("a gauge")
			g.SetUnit("1")
			dp := g.SetEmptyGauge().DataPoints().AppendEmpty()
			dp.SetTimestamp(ts)
			dp.SetDoubleValue(float64(i) * 1.5)
			attrs(dp.Attributes(), "dp", i)
			ex := dp.Exemplars().AppendEmpty()
			ex.SetTimestamp(ts)
			ex.SetIntValue(int64(i))
			ex.SetTraceID(pcommon.TraceID{1, 2, 3, byte(i)})
			ex.SetSpanID(pcommon.SpanID{4, 5, byte(i)})
			ex.FilteredAttributes().PutStr("ex", "attr")

			ig := sm.Metrics().AppendEmpty()
			ig.SetName("gauge.int")
			idp := ig.SetEmptyGauge().DataPoints().AppendEmpty()
			idp.SetTimestamp(ts)
			idp.SetIntValue(int64(i))

			s := sm.Metrics().AppendEmpty()
			s.SetName("requests_total")
			s.SetUnit("{request}")
			sum := s.SetEmptySum()
			sum.SetIsMonotonic(true)
			sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
			sdp := sum.DataPoints().AppendEmpty()
			sdp.SetStartTimestamp(t0)
			sdp.SetTimestamp(ts)
			sdp.SetIntValue(int64(100 + i))
			sdp.Attributes().PutStr("route", fmt.Sprintf("/r/%d", i%3))

			ns := sm.Metrics().AppendEmpty()
			ns.SetName("queue.delta")
			nsum := ns.SetEmptySum()
			nsum.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
			ndp := nsum.DataPoints().AppendEmpty()
			ndp.SetStartTimestamp(t0)
			ndp.SetTimestamp(ts)
			ndp.SetDoubleValue(-2.5)

			h := sm.Metrics().AppendEmpty()
			h.SetName("latency")
			h.SetUnit("ms")
			hist := h.SetEmptyHistogram()
			hist.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
			hdp := hist.DataPoints().AppendEmpty()
			hdp.SetStartTimestamp(t0)
			hdp.SetTimestamp(ts)
			hdp.SetCount(uint64(10 + i))
			hdp.SetSum(123.5 + float64(i))
			hdp.SetMin(0.5)
			hdp.SetMax(99)
			hdp.ExplicitBounds().FromRaw([]float64{1, 5, 10, 50})
			hdp.BucketCounts().FromRaw([]uint64{1, 2, 3, 4, uint64(i)})
			hdp.Attributes().PutBool("ok", i%2 == 1)
			hex := hdp.Exemplars().AppendEmpty()
			hex.SetTimestamp(ts)
			hex.SetDoubleValue(4.5)

			e := sm.Metrics().AppendEmpty()
			e.SetName("latency.exp")
			eh := e.SetEmptyExponentialHistogram()
			eh.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
			edp := eh.DataPoints().AppendEmpty()
			edp.SetStartTimestamp(t0)
			edp.SetTimestamp(ts)
			edp.SetScale(3)
			edp.SetCount(uint64(20 + i))
			edp.SetSum(77.25)
			edp.SetZeroCount(2)
			edp.SetZeroThreshold(0.001)
			edp.SetMin(-4)
			edp.SetMax(40)
			edp.Positive().SetOffset(-2)
			edp.Positive().BucketCounts().FromRaw([]uint64{1, 0, 4, uint64(i)})
			edp.Negative().SetOffset(1)
			edp.Negative().BucketCounts().FromRaw([]uint64{3, 2})
			edp.Attributes().PutStr("host", "h1")

			sy := sm.Metrics().AppendEmpty()
			sy.SetName("rpc.summary")
			sdpq := sy.SetEmptySummary().DataPoints().AppendEmpty()
			sdpq.SetStartTimestamp(t0)
			sdpq.SetTimestamp(ts)
			sdpq.SetCount(uint64(5 + i))
			sdpq.SetSum(50.5)
			for _, q := range []float64{0, 0.5, 0.99, 1} {
				qv := sdpq.QuantileValues().AppendEmpty()
				qv.SetQuantile(q)
				qv.SetValue(q * 100)
			}
			sdpq.Attributes().PutInt("shard", int64(i%4))
		}
	}
	return md
}

// Traces holds spans of every kind with status, trace state, events and
// links, all with attributes of every value type.
func Traces(n int) ptrace.Traces {
	td := ptrace.NewTraces()
	for r := 0; r < 2; r++ {
		rs := td.ResourceSpans().AppendEmpty()
		resource(rs.Resource(), r)
		ss := rs.ScopeSpans().AppendEmpty()
		scope(ss.Scope(), r)
		for i := 0; i < n; i++ {
			sp := ss.Spans().AppendEmpty()
			sp.SetTraceID(pcommon.TraceID{byte(r), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, byte(i)})
			sp.SetSpanID(pcommon.SpanID{byte(r), 1, 2, 3, 4, 5, 6, byte(i + 1)})
			if i > 0 {
				sp.SetParentSpanID(pcommon.SpanID{byte(r), 1, 2, 3, 4, 5, 6, byte(i)})
			}
			sp.TraceState().FromRaw("vendor=x")
			sp.SetName(fmt.Sprintf("op-%d", i%4))
			sp.SetKind(ptrace.SpanKind(i%5 + 1))
			sp.SetStartTimestamp(t0 + pcommon.Timestamp(i))
			sp.SetEndTimestamp(t0 + pcommon.Timestamp(i+1000))
			attrs(sp.Attributes(), "span", i)
			sp.Status().SetCode(ptrace.StatusCode(i % 3))
			if i%3 == 2 {
				sp.Status().SetMessage("boom")
			}
			ev := sp.Events().AppendEmpty()
			ev.SetName("exception")
			ev.SetTimestamp(t0 + pcommon.Timestamp(i+10))
			attrs(ev.Attributes(), "event", i)
			ev2 := sp.Events().AppendEmpty()
			ev2.SetName("retry")
			ev2.SetTimestamp(t0 + pcommon.Timestamp(i+20))
			ln := sp.Links().AppendEmpty()
			ln.SetTraceID(pcommon.TraceID{9, 9, 9, byte(i)})
			ln.SetSpanID(pcommon.SpanID{8, 8, byte(i)})
			ln.TraceState().FromRaw("linked=1")
			attrs(ln.Attributes(), "link", i)
		}
	}
	return td
}

// Logs holds records with every body type (string, int, double, bool,
// bytes, array, map, and none), severities, trace context and attributes.
func Logs(n int) plog.Logs {
	ld := plog.NewLogs()
	for r := 0; r < 2; r++ {
		rl := ld.ResourceLogs().AppendEmpty()
		resource(rl.Resource(), r)
		sl := rl.ScopeLogs().AppendEmpty()
		scope(sl.Scope(), r)
		for i := 0; i < n; i++ {
			lr := sl.LogRecords().AppendEmpty()
			lr.SetTimestamp(t0 + pcommon.Timestamp(i))
			lr.SetObservedTimestamp(t0 + pcommon.Timestamp(i+5))
			lr.SetSeverityNumber(plog.SeverityNumber(i%24 + 1))
			lr.SetSeverityText(fmt.Sprintf("SEV%d", i%4))
			lr.SetTraceID(pcommon.TraceID{7, byte(i)})
			lr.SetSpanID(pcommon.SpanID{6, byte(i)})
			lr.SetFlags(plog.DefaultLogRecordFlags.WithIsSampled(i%2 == 0))
			attrs(lr.Attributes(), "log", i)
			b := lr.Body()
			switch i % 8 {
			case 0:
				b.SetStr(fmt.Sprintf("message %d", i))
			case 1:
				b.SetInt(int64(i))
			case 2:
				b.SetDouble(float64(i) / 3)
			case 3:
				b.SetBool(true)
			case 4:
				b.SetEmptyBytes().FromRaw([]byte("raw bytes"))
			case 5:
				s := b.SetEmptySlice()
				s.AppendEmpty().SetStr("x")
				s.AppendEmpty().SetInt(2)
			case 6:
				m := b.SetEmptyMap()
				m.PutStr("event", "login")
				m.PutEmptyMap("nested").PutInt("depth", 2)
			case 7:
				// no body
			}
		}
	}
	return ld
}
