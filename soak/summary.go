package soak

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// minFaultKinds is how many kinds of scheduled fault (the client kinds not
// counted) a passing run must have injected.
const minFaultKinds = 4

// Summary is what a soak run writes (soak/results/summary.json).
type Summary struct {
	Binary    string  `json:"binary"`
	Transport string  `json:"transport"` // of the bridges
	StartedAt string  `json:"started_at"`
	DurationS float64 `json:"duration_s"` // the loaded phase
	DrainS    float64 `json:"drain_s"`    // from the clients' stop to every acknowledged item delivered
	StopS     float64 `json:"stop_s"`     // SIGTERM to exit

	SentItems  int64 `json:"sent_items"`  // items clients sent, those the filter drops not counted
	AckedItems int64 `json:"acked_items"` // items of requests that got OK
	// DeliveredItems: distinct ids at the backend; LostItems: acknowledged
	// and never delivered; DuplicateItems: deliveries beyond the first;
	// DeliveredUnacked: delivered although the client saw a failure
	// (cancelled, deadline, refused after the data was already on its way).
	DeliveredItems   int64            `json:"delivered_items"`
	LostItems        int64            `json:"lost_items"`
	LostByPipeline   map[string]int64 `json:"lost_by_pipeline,omitempty"`
	LostExamples     []string         `json:"lost_examples,omitempty"`
	DuplicateItems   int64            `json:"duplicate_items"`
	DeliveredUnacked int64            `json:"delivered_unacked_items"`
	// FilterLeaks: items the Rust filter must drop that reached the backend.
	FilterLeaks int64 `json:"filter_leaks"`

	Requests RequestCounts `json:"requests"`
	Backend  BackendCounts `json:"backend"`

	// FaultsInjected by kind: schedule faults that completed; for
	// memory_limiter the requests it refused; for client_cancel and
	// client_deadline the requests that ended cancelled or past deadline.
	FaultsInjected map[string]int `json:"faults_injected"`
	FaultLog       []FaultEvent   `json:"fault_log"`

	ChildRestarts   int          `json:"child_restarts"`     // supervisor_child_restarts
	ChildPIDsSeen   int          `json:"child_pids_seen"`    // distinct child pids over the run
	ChildPeakRSSKiB int64        `json:"child_peak_rss_kib"` // max VmHWM over every child
	Parent          ParentCounts `json:"parent"`

	// CollectorMetrics: the collector's own refusal, failure and supervisor
	// series at the end, summed over labels.
	CollectorMetrics map[string]float64 `json:"collector_metrics,omitempty"`

	ExitCode          int      `json:"exit_code"` // of otelcol-hybrid after SIGTERM
	LeftoverProcesses []int    `json:"leftover_processes"`
	LeftoverFiles     []string `json:"leftover_files"` // under the runtime dir

	Problems []string `json:"problems"`
	Pass     bool     `json:"pass"`
}

// ParentCounts are otelcol-hybrid's own resources.
type ParentCounts struct {
	Baseline        idleReading `json:"baseline"` // idle after warm-up
	End             idleReading `json:"end"`      // idle after the drain
	FDGrowth        int         `json:"fd_growth"`
	GoroutineGrowth int         `json:"goroutine_growth"`
	// ThreadGrowth is reported, not judged: the Go runtime keeps the OS
	// threads it has made, so a burst of blocking calls leaves them.
	ThreadGrowth int   `json:"thread_growth"`
	PeakRSSKiB   int64 `json:"peak_rss_kib"`
}

// RequestCounts are the clients' requests by outcome.
type RequestCounts struct {
	OK                  int64            `json:"ok"`
	Failed              int64            `json:"failed"`
	Skipped             int64            `json:"skipped"` // ticks with every request slot waiting
	FailedByKindAndCode map[string]int64 `json:"failed_by_kind_and_code"`
}

// BackendCounts are the backend's fault answers.
type BackendCounts struct {
	RefusedUnavailable int64 `json:"refused_unavailable"`
	RefusedThrottled   int64 `json:"refused_throttled"`
	Delayed            int64 `json:"delayed"`
	CutWhileSlow       int64 `json:"cut_while_slow"`
}

// judge adds the pass criteria's failures to Problems and sets Pass.
func (s *Summary) judge() {
	if s.AckedItems == 0 {
		s.Problems = append(s.Problems, "no item was acknowledged")
	}
	if s.LostItems > 0 {
		var where []string
		for p, n := range s.LostByPipeline {
			where = append(where, fmt.Sprintf("%s: %d", p, n))
		}
		sort.Strings(where)
		s.Problems = append(s.Problems, fmt.Sprintf("%d acknowledged items lost (%v), e.g. %v", s.LostItems, where, s.LostExamples))
	}
	if s.FilterLeaks > 0 {
		s.Problems = append(s.Problems, fmt.Sprintf("%d items the filter drops reached the backend", s.FilterLeaks))
	}
	// The cancelling and tight-deadline clients run all the time; the
	// kinds that count are the schedule's.
	kinds := 0
	for k, n := range s.FaultsInjected {
		if n > 0 && k != faultCancel && k != faultDeadline {
			kinds++
		}
	}
	if kinds < minFaultKinds {
		s.Problems = append(s.Problems, fmt.Sprintf("only %d scheduled fault kinds injected (%v), want at least %d", kinds, s.FaultsInjected, minFaultKinds))
	}
	for _, ev := range s.FaultLog {
		if ev.Error != "" {
			s.Problems = append(s.Problems, fmt.Sprintf("fault %s at %.1fs: %s", ev.Kind, ev.AtS, ev.Error))
		}
	}
	if s.ExitCode != 0 {
		s.Problems = append(s.Problems, fmt.Sprintf("otelcol-hybrid exited %d after SIGTERM, want 0", s.ExitCode))
	}
	if len(s.LeftoverProcesses) > 0 {
		s.Problems = append(s.Problems, fmt.Sprintf("child processes left after the stop: %v", s.LeftoverProcesses))
	}
	// What the parent holds once idle again: every fd and goroutine the load
	// and the faults took must be given back (a little slack for pooled
	// connections the clients' and exporters' gRPC keeps).
	if p := s.Parent; p.FDGrowth > fdTolerance || p.GoroutineGrowth > goroutineTolerance {
		s.Problems = append(s.Problems, fmt.Sprintf("parent did not return to baseline (fds %d → %d, tolerance %d; goroutines %d → %d, tolerance %d)",
			p.Baseline.FDs, p.End.FDs, fdTolerance, p.Baseline.Goroutines, p.End.Goroutines, goroutineTolerance))
	}
	if len(s.LeftoverFiles) > 0 {
		s.Problems = append(s.Problems, fmt.Sprintf("left in the runtime dir after the stop: %v", s.LeftoverFiles))
	}
	s.Pass = len(s.Problems) == 0
}

// Write writes s as indented JSON to path, creating its directory.
func (s *Summary) Write(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
