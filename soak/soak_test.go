package soak

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// The backend counts each id it accepts, refuses as its fault mode says, and
// the ledger's outcome plus the backend's counts give lost and duplicates.
func TestBackendFaultModesAndTheCount(t *testing.T) {
	be, err := startBackend("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	defer be.stop()
	conn, err := dial(be.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	l := newLedger()
	c := &client{name: "t", signal: "metrics", pipeline: "direct", kind: kindSteady, items: 4, conn: conn, ledger: l}
	ctx := context.Background()

	c.sendOne() // accepted: ids t/0..t/2 acked, t/3 is the filtered one (no filter here: delivered)
	be.setMode(modeOutage)
	if err := c.export(ctx, []string{"x/0", "x/1"}); status.Code(err) != codes.Unavailable {
		t.Fatalf("outage: %v, want Unavailable", err)
	}
	be.setMode(modeThrottle)
	err = c.export(ctx, []string{"x/0", "x/1"})
	st := status.Convert(err)
	var retry *errdetails.RetryInfo
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			retry = ri
		}
	}
	if st.Code() != codes.ResourceExhausted || retry == nil || retry.RetryDelay.AsDuration() != throttleDelay {
		t.Fatalf("throttle: %v, want ResourceExhausted with RetryInfo %s", err, throttleDelay)
	}
	be.setMode(modeSlow)
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if err := c.export(short, []string{"x/9"}); status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("slow backend with a 100ms deadline: %v", err)
	}
	be.setMode(modeAccept)
	if err := c.export(ctx, []string{"t/1", "t/1b"}); err != nil { // t/1 again: a duplicate
		t.Fatal(err)
	}
	// An acked id that never arrives is lost.
	l.mu.Lock()
	l.acked["t/ghost"] = "direct/metrics"
	l.mu.Unlock()

	r := &run{be: be, ledger: l}
	s := &Summary{FaultsInjected: map[string]int{}}
	r.count(s)
	if s.AckedItems != 4 || s.LostItems != 1 || s.LostByPipeline["direct/metrics"] != 1 || s.DuplicateItems != 1 {
		t.Fatalf("acked %d lost %d %v duplicates %d, want 4, 1 (direct/metrics), 1", s.AckedItems, s.LostItems, s.LostByPipeline, s.DuplicateItems)
	}
	if be.cutWhileSlow.Load() != 1 || be.count("x/9") != 0 {
		t.Fatalf("a request the sender gave up on during the delay was recorded")
	}
}

func TestJudge(t *testing.T) {
	good := func() *Summary {
		return &Summary{AckedItems: 10, DeliveredItems: 10,
			FaultsInjected: map[string]int{faultKill9: 1, faultStop: 1, faultOutage: 1, faultThrottle: 1}}
	}
	s := good()
	s.judge()
	if !s.Pass {
		t.Fatalf("a clean run fails: %v", s.Problems)
	}
	for name, spoil := range map[string]func(*Summary){
		"lost":      func(s *Summary) { s.LostItems = 1; s.LostByPipeline = map[string]int64{"go_to_rust/logs": 1} },
		"3 kinds":   func(s *Summary) { delete(s.FaultsInjected, faultKill9); s.FaultsInjected[faultCancel] = 5 },
		"leftover":  func(s *Summary) { s.LeftoverFiles = []string{"socket /x/b1.sock"} },
		"exit code": func(s *Summary) { s.ExitCode = 1 },
		"fd leak":   func(s *Summary) { s.Parent.FDGrowth = fdTolerance + 1 },
		"goroutine leak": func(s *Summary) {
			s.Parent.GoroutineGrowth = goroutineTolerance + 1
		},
		"fault err": func(s *Summary) { s.FaultLog = []FaultEvent{{Kind: faultStop, Error: "no new child"}} },
	} {
		s := good()
		spoil(s)
		s.judge()
		if s.Pass || len(s.Problems) == 0 {
			t.Errorf("%s: the run passes", name)
		}
		if name == "lost" && !strings.Contains(s.Problems[0], "go_to_rust/logs: 1") {
			t.Errorf("the loss is not reported by pipeline: %v", s.Problems)
		}
	}
}
