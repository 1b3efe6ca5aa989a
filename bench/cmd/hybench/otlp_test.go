package main

import (
	"context"
	"testing"
	"time"
)

// The generator → sink loop alone: item counts, send-time stamps and
// metadata keys must come out as they went in.
func TestGeneratorSinkLoop(t *testing.T) {
	sk, err := newSink()
	if err != nil {
		t.Fatal(err)
	}
	defer sk.stop()
	for _, c := range comboList {
		b := comboBatch(c)
		n, stamps := int64(0), []uint64(nil)
		if b.signal == "metrics" {
			n, stamps = walkMetrics(b.body)
		} else {
			n, stamps = walkTraces(b.body)
		}
		if n != int64(b.items) || len(stamps) != 0 { // sentinel is not a send time
			t.Fatalf("%s: walker counted %d items, %d stamps", c, n, len(stamps))
		}
	}
	sk.rec.Store(true)
	// Cancel (as the harness does), not a deadline: gRPC's own deadline
	// timer can fire before ctx.Err() is set and count as an error.
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	g, err := generate(ctx, sk.addr, comboBatch("metrics-100"), 2, 200, tenKeys())
	if err != nil {
		t.Fatal(err)
	}
	if g.okReq == 0 || g.errReq != 0 {
		t.Fatalf("generator: %+v", g)
	}
	if got := sk.items.Load(); got != g.okItems {
		t.Fatalf("sink counted %d items, generator sent %d", got, g.okItems)
	}
	if lat := sk.takeLatencies(); int64(len(lat)) != g.okReq {
		t.Fatalf("%d latency samples for %d requests", len(lat), g.okReq)
	}
	if r, k := sk.mdReqs.Load(), sk.mdKeys.Load(); r == 0 || k != 10*r {
		t.Fatalf("metadata: %d keys over %d requests", k, r)
	}
}
