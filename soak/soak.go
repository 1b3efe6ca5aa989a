// Package soak runs the real otelcol-hybrid under steady load from clients of
// every signal, through pipelines that cross from Go to Rust and from Rust to
// Go, while a schedule of faults runs: kill -9 and SIGSTOP of the Rust child,
// a backend that is down, slow or throttling, clients that cancel or set tight
// deadlines, and bursts that make the Go memory_limiter refuse. Every item
// carries a unique id, so the summary counts exactly what was acknowledged,
// delivered, lost (acknowledged and never delivered) and delivered twice, and
// it records whether the parent's file descriptors and goroutines came back
// to their idle level and whether anything was left behind after the stop.
package soak

import (
	"bufio"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"

	"github.com/otelcol-hybrid/otelcol-hybrid/internal/testkit/procfs"
)

//go:embed collector.yaml
var collectorConfig string

// Options of one soak run.
type Options struct {
	Bin      string        // otelcol-hybrid
	Duration time.Duration // of the loaded phase with faults
	// FaultEvery is the pause between the end of one fault and the next.
	FaultEvery time.Duration
	// Config replaces collector.yaml (same placeholders) when not empty: to
	// see the harness catch a config that loses data, for example.
	Config string
	// LogPath receives the collector's output; empty discards it.
	LogPath string
	// Transport of the bridges: unix (the default) or tcp.
	Transport string
	// The Go memory_limiter's limit_mib and spike_limit_mib.
	MemLimitMiB, MemSpikeMiB int
	Logf                     func(format string, args ...any)
}

// Tolerances of the return-to-idle checks. Both readings are taken idle (no
// client request in flight, queues drained), and every connection the parent
// holds at the first (clients, backend, bridges to the child) exists again at
// the second, so the counts should be equal. The slack covers what can be
// half torn down at the moment of reading: the harness's own HTTP scrape of
// pprof and gRPC reconnects, which briefly hold a second socket (one fd,
// about three goroutines each).
const (
	fdTolerance        = 4
	goroutineTolerance = 12
)

// The loopback addresses the soak binds (all of 127.0.0.0/8 is loopback):
// its own, so that other programs binding port 0 on 127.0.0.1 cannot take a
// port between freeAddr and the collector's bind.
const (
	ipGoGRPC   = "127.0.19.1"
	ipRustGRPC = "127.0.19.2"
	ipAllRust  = "127.0.19.6"
	ipProm     = "127.0.19.3"
	ipPprof    = "127.0.19.4"
	ipHealth   = "127.0.19.5"
	ipBackend  = "127.0.19.10"
)

// run is the state of one soak run.
type run struct {
	opts    Options
	be      *backend
	ledger  *ledger
	cmd     *exec.Cmd
	exited  chan struct{}
	waitErr error

	addrs      map[string]string
	runtimeDir string
	conns      map[string]*grpc.ClientConn // receiver (go|rust) → connection
	burstConn  *grpc.ClientConn
	bursters   []*client

	mu           sync.Mutex
	childrenSeen map[int]bool
	childHWM     int64 // kB, max over every child
	parentHWM    int64

	http *http.Client
}

func (r *run) logf(format string, args ...any) {
	if r.opts.Logf != nil {
		r.opts.Logf(format, args...)
	}
}

// Run runs one soak and returns its summary; err is for a run that could not
// be carried out at all (the collector did not start). A run that finds
// problems returns a summary whose Pass is false.
func Run(opts Options) (*Summary, error) {
	if opts.FaultEvery == 0 {
		opts.FaultEvery = 2 * time.Second
	}
	if opts.Transport == "" {
		opts.Transport = "unix"
	}
	if opts.MemLimitMiB == 0 {
		opts.MemLimitMiB, opts.MemSpikeMiB = 96, 24
	}
	r := &run{opts: opts, ledger: newLedger(), childrenSeen: map[int]bool{}, exited: make(chan struct{}),
		http: &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}}
	dir, err := os.MkdirTemp("", "soak")
	if err != nil {
		return nil, err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	r.runtimeDir = filepath.Join(dir, "run")
	if err := os.Mkdir(r.runtimeDir, 0o700); err != nil {
		return nil, err
	}
	if r.be, err = startBackend(ipBackend); err != nil {
		return nil, err
	}
	defer r.be.stop()
	if err := r.startCollector(dir); err != nil {
		return nil, err
	}
	defer r.kill() // only does anything when the run broke off
	sum, err := r.soak()
	if err != nil {
		return nil, err
	}
	return sum, nil
}

func (r *run) startCollector(dir string) error {
	r.addrs = map[string]string{"BACKEND": r.be.addr}
	for name, ip := range map[string]string{"GO_GRPC": ipGoGRPC, "RUST_GRPC": ipRustGRPC, "ALL_RUST_GRPC": ipAllRust, "PPROF": ipPprof, "HEALTH": ipHealth, "PROM": ipProm} {
		a, err := freeAddr(ip)
		if err != nil {
			return err
		}
		r.addrs[name] = a
	}
	promHost, promPort, _ := net.SplitHostPort(r.addrs["PROM"])
	vars := map[string]string{
		"PROM_HOST": promHost, "PROM_PORT": promPort,
		"TRANSPORT":     r.opts.Transport,
		"MEM_LIMIT_MIB": strconv.Itoa(r.opts.MemLimitMiB), "MEM_SPIKE_MIB": strconv.Itoa(r.opts.MemSpikeMiB),
	}
	for k, v := range r.addrs {
		vars[k] = v
	}
	tmpl := collectorConfig
	if r.opts.Config != "" {
		tmpl = r.opts.Config
	}
	var missing []string
	cfg := os.Expand(tmpl, func(k string) string {
		v, ok := vars[k]
		if !ok {
			missing = append(missing, k)
		}
		return v
	})
	if len(missing) > 0 {
		return fmt.Errorf("collector.yaml: no value for %v", missing)
	}
	cfgPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return err
	}
	out := io.Discard
	if r.opts.LogPath != "" {
		f, err := os.Create(r.opts.LogPath)
		if err != nil {
			return err
		}
		out = f
	}
	r.cmd = exec.Command(r.opts.Bin, "--config", cfgPath)
	r.cmd.Env = append(os.Environ(),
		"OTELCOL_HYBRID_RUNTIME_DIR="+r.runtimeDir,
		"OTELCOL_HYBRID_CACHE_DIR="+filepath.Join(dir, "cache"),
		"TMPDIR="+dir,
	)
	r.cmd.Stdout, r.cmd.Stderr = out, out
	if err := r.cmd.Start(); err != nil {
		return err
	}
	go func() {
		r.waitErr = r.cmd.Wait()
		if c, ok := out.(io.Closer); ok {
			_ = c.Close()
		}
		close(r.exited)
	}()
	return r.await(90*time.Second, "the collector's health endpoint to answer 200", func() bool {
		resp, err := r.http.Get("http://" + r.addrs["HEALTH"] + "/")
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// kill ends a collector the run could not stop gracefully, and its child.
func (r *run) kill() {
	select {
	case <-r.exited:
	default:
		_ = r.cmd.Process.Kill()
		<-r.exited
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for pid := range r.childrenSeen {
		if !procfs.Gone(pid) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

var errExited = errors.New("the collector exited")

// await polls cond until it holds, the timeout passes or the collector exits.
func (r *run) await(timeout time.Duration, what string, cond func() bool) error {
	deadline := time.Now().Add(timeout)
	for !cond() {
		select {
		case <-r.exited:
			why := r.waitErr
			if why == nil {
				why = errors.New("exit status 0")
			}
			return fmt.Errorf("%w (%w) while waiting for %s", errExited, why, what)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s waiting for %s", timeout, what)
		}
	}
	return nil
}

// awaitChild waits for a single live child other than not.
func (r *run) awaitChild(timeout time.Duration, not int) (int, error) {
	var pid int
	err := r.await(timeout, fmt.Sprintf("an otelcol-rust child other than %d", not), func() bool {
		pids := procfs.Children(r.cmd.Process.Pid)
		if len(pids) == 1 && pids[0] != not {
			pid = pids[0]
			return true
		}
		return false
	})
	return pid, err
}

// monitor records every child pid and the peak RSS of both processes until
// ctx ends.
func (r *run) monitor(ctx context.Context) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		parent := r.cmd.Process.Pid
		pids := procfs.Children(parent)
		r.mu.Lock()
		for _, pid := range pids {
			r.childrenSeen[pid] = true
			if v, ok := statusValue(pid, "VmHWM"); ok && v > r.childHWM {
				r.childHWM = v
			}
		}
		if v, ok := statusValue(parent, "VmHWM"); ok && v > r.parentHWM {
			r.parentHWM = v
		}
		r.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// clients are the steady load: every signal into each receiver, plus one
// client that cancels and one with tight deadlines per receiver.
func (r *run) clients() []*client {
	var cs []*client
	for _, p := range []string{"go_to_rust", "rust_to_go", "all_rust"} {
		conn := r.conns[p]
		for _, sig := range []string{"traces", "metrics", "logs"} {
			cs = append(cs, &client{name: p + "." + sig, signal: sig, pipeline: p, kind: kindSteady,
				items: 11, every: 50 * time.Millisecond, conn: conn, ledger: r.ledger})
		}
		cs = append(cs,
			&client{name: p + ".cancel", signal: "metrics", pipeline: p, kind: kindCancel,
				items: 6, every: 100 * time.Millisecond, conn: conn, ledger: r.ledger},
			&client{name: p + ".deadline", signal: "logs", pipeline: p, kind: kindDeadline,
				items: 6, every: 100 * time.Millisecond, conn: conn, ledger: r.ledger})
	}
	return cs
}

// runClients runs cs until ctx ends and they have all answered.
func runClients(ctx context.Context, cs []*client) {
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Add(1)
		go func() { defer wg.Done(); c.run(ctx) }()
	}
	wg.Wait()
}

// burst sends large log requests into the Go receiver for d, to push the
// parent's heap past the memory_limiter's soft limit.
func (r *run) burst(d time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	// The same clients every time: their sequence numbers go on, so no id
	// is ever sent twice.
	if r.bursters == nil {
		for i := range 4 {
			r.bursters = append(r.bursters, &client{name: fmt.Sprintf("go_to_rust.burst%d", i), signal: "logs", pipeline: "go_to_rust",
				kind: kindBurst, items: 65, bodySize: 16 << 10, every: 20 * time.Millisecond, conn: r.burstConn, ledger: r.ledger})
		}
	}
	runClients(ctx, r.bursters)
}

// idleReading is the parent's fds, threads and goroutines at one moment.
type idleReading struct {
	FDs        int `json:"fds"`
	Threads    int `json:"threads"`
	Goroutines int `json:"goroutines"`
}

func (r *run) read() (idleReading, error) {
	pid := r.cmd.Process.Pid
	fds, ok := fdCount(pid)
	if !ok {
		return idleReading{}, errExited
	}
	th, _ := statusValue(pid, "Threads")
	g, err := r.goroutines()
	return idleReading{FDs: fds, Threads: int(th), Goroutines: g}, err
}

// goroutines reads the parent's goroutine count from its pprof endpoint.
func (r *run) goroutines() (int, error) {
	resp, err := r.http.Get("http://" + r.addrs["PPROF"] + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		return 0, err
	}
	defer func() { _ = resp.Body.Close() }()
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil {
		return 0, err
	}
	// "goroutine profile: total 123"
	f := strings.Fields(line)
	if len(f) == 0 {
		return 0, fmt.Errorf("pprof: unexpected first line %q", line)
	}
	return strconv.Atoi(f[len(f)-1])
}

// promValues sums the collector's own metrics by name (labels ignored).
func (r *run) promValues() (map[string]float64, error) {
	resp, err := r.http.Get("http://" + r.addrs["PROM"] + "/metrics")
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for sc.Scan() {
		l := sc.Text()
		if l == "" || l[0] == '#' {
			continue
		}
		name := l[:strings.IndexAny(l+" ", "{ ")]
		v, err := strconv.ParseFloat(l[strings.LastIndexByte(l, ' ')+1:], 64)
		if err == nil {
			out[name] += v
		}
	}
	return out, sc.Err()
}

func (r *run) soak() (*Summary, error) {
	s := &Summary{Binary: r.opts.Bin, Transport: r.opts.Transport, StartedAt: time.Now().UTC().Format(time.RFC3339), FaultsInjected: map[string]int{}, Problems: []string{}}
	monCtx, stopMon := context.WithCancel(context.Background())
	monDone := make(chan struct{})
	go func() { defer close(monDone); r.monitor(monCtx) }()
	defer func() { stopMon(); <-monDone }()

	if _, err := r.awaitChild(30*time.Second, 0); err != nil {
		return nil, err
	}
	r.conns = map[string]*grpc.ClientConn{}
	for p, a := range map[string]string{"go_to_rust": r.addrs["GO_GRPC"], "rust_to_go": r.addrs["RUST_GRPC"], "all_rust": r.addrs["ALL_RUST_GRPC"]} {
		conn, err := dial(a)
		if err != nil {
			return nil, err
		}
		defer func() { _ = conn.Close() }()
		r.conns[p] = conn
	}
	var err error
	if r.burstConn, err = dial(r.addrs["GO_GRPC"]); err != nil {
		return nil, err
	}
	defer func() { _ = r.burstConn.Close() }()
	cs := r.clients()

	// Warm-up: every connection the run will hold gets made, then the
	// idle baseline is read with no request in flight.
	warm, stopWarm := context.WithTimeout(context.Background(), 3*time.Second)
	runClients(warm, cs)
	stopWarm()
	r.burst(300 * time.Millisecond)
	if err := r.awaitDrained(30 * time.Second); err != nil {
		return nil, fmt.Errorf("warm-up: %w", err)
	}
	base, err := r.read()
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	r.logf("baseline (idle, after warm-up): %d fds, %d threads, %d goroutines", base.FDs, base.Threads, base.Goroutines)

	// The loaded phase: clients for the whole duration, faults meanwhile.
	// Refusals and client faults are counted from here (the warm-up burst
	// is not a fault).
	memBase, cancelBase, deadlineBase := r.ledger.memRefuse.Load(), r.ledger.cancelled.Load(), r.ledger.deadlined.Load()
	loadStart := time.Now()
	load, stopLoad := context.WithTimeout(context.Background(), r.opts.Duration)
	defer stopLoad()
	faultsCtx, stopFaults := context.WithTimeout(context.Background(), r.opts.Duration-r.opts.FaultEvery)
	defer stopFaults()
	var events []FaultEvent
	faultsDone := make(chan struct{})
	go func() {
		defer close(faultsDone)
		events = (&injector{r: r, start: loadStart}).loop(faultsCtx, r.opts.FaultEvery)
	}()
	runClients(load, cs)
	<-faultsDone
	r.logf("load stopped after %.1fs; draining", time.Since(loadStart).Seconds())

	drainStart := time.Now()
	drainErr := r.awaitDrained(3 * time.Minute)
	s.DrainS = time.Since(drainStart).Seconds()

	// Back to idle: the parent's counts must return to the baseline.
	var end idleReading
	settled := r.await(20*time.Second, "fds and goroutines back to the baseline", func() bool {
		end, err = r.read()
		return err == nil && end.FDs <= base.FDs+fdTolerance && end.Goroutines <= base.Goroutines+goroutineTolerance
	})
	prom, promErr := r.promValues()
	s.ChildRestarts = int(prom["supervisor_child_restarts"])
	s.CollectorMetrics = map[string]float64{}
	for k, v := range prom {
		if strings.Contains(k, "refused") || strings.Contains(k, "send_failed") || strings.HasPrefix(k, "supervisor_") || strings.Contains(k, "enqueue_failed") {
			s.CollectorMetrics[k] = v
		}
	}

	// Graceful stop, then nothing may be left behind.
	for _, c := range r.conns {
		_ = c.Close()
	}
	_ = r.burstConn.Close()
	stopT := time.Now()
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.exited:
		s.ExitCode = r.cmd.ProcessState.ExitCode()
	case <-time.After(90 * time.Second):
		s.ExitCode = -1
		s.Problems = append(s.Problems, "the collector did not exit within 90s of SIGTERM")
	}
	s.StopS = time.Since(stopT).Seconds()
	stopMon()
	<-monDone
	r.mu.Lock()
	pidsSeen := make([]int, 0, len(r.childrenSeen))
	for pid := range r.childrenSeen {
		pidsSeen = append(pidsSeen, pid)
	}
	s.Parent.PeakRSSKiB, s.ChildPeakRSSKiB = r.parentHWM, r.childHWM
	r.mu.Unlock()
	sort.Ints(pidsSeen)
	s.LeftoverProcesses = []int{}
	s.ChildPIDsSeen = len(pidsSeen)
	_ = r.await(10*time.Second, "every child gone", func() bool {
		for _, pid := range pidsSeen {
			if !procfs.Gone(pid) {
				return false
			}
		}
		return true
	})
	for _, pid := range pidsSeen {
		if !procfs.Gone(pid) {
			s.LeftoverProcesses = append(s.LeftoverProcesses, pid)
		}
	}
	s.LeftoverFiles = append([]string{}, leftovers(r.runtimeDir)...)

	// The count.
	s.DurationS = r.opts.Duration.Seconds()
	s.FaultLog = events
	for _, ev := range events {
		if ev.Error == "" && ev.Kind != faultMemory {
			s.FaultsInjected[ev.Kind]++
		}
	}
	if n := r.ledger.memRefuse.Load() - memBase; n > 0 {
		s.FaultsInjected[faultMemory] = int(n)
	}
	if n := r.ledger.cancelled.Load() - cancelBase; n > 0 {
		s.FaultsInjected[faultCancel] = int(n)
	}
	if n := r.ledger.deadlined.Load() - deadlineBase; n > 0 {
		s.FaultsInjected[faultDeadline] = int(n)
	}
	r.count(s)
	s.Parent.Baseline, s.Parent.End = base, end
	s.Parent.FDGrowth = end.FDs - base.FDs
	s.Parent.ThreadGrowth = end.Threads - base.Threads
	s.Parent.GoroutineGrowth = end.Goroutines - base.Goroutines

	if drainErr != nil {
		s.Problems = append(s.Problems, "drain: "+drainErr.Error())
	}
	if settled != nil {
		r.logf("the parent had not returned to its baseline after 20s: %v", settled)
	}
	if promErr != nil {
		s.Problems = append(s.Problems, "metrics scrape: "+promErr.Error())
	}
	s.judge()
	return s, nil
}

// awaitDrained waits until every acknowledged item has arrived and the
// backend's count has stopped growing for a while (what was sent but not
// acknowledged may still be on its way from a queue), or until nothing has
// arrived for so long that nothing more will: the exporters retry at least
// every second (retry_on_failure.max_interval), so 15 s of silence with
// items still missing means they are lost, which the count reports.
func (r *run) awaitDrained(timeout time.Duration) error {
	const quiet, silence = 2 * time.Second, 15 * time.Second
	last, lastChange := -1, time.Now()
	return r.await(timeout, "queues to drain: every acknowledged item delivered and no delivery for 2s", func() bool {
		d, dups := r.be.totals()
		if d+dups != last {
			last, lastChange = d+dups, time.Now()
			return false
		}
		if time.Since(lastChange) < quiet {
			return false
		}
		return r.missing() == 0 || time.Since(lastChange) >= silence
	})
}

// missing is the number of acknowledged items not delivered yet.
func (r *run) missing() int {
	acked := r.ledger.ackedCopy()
	n := 0
	for id := range acked {
		if r.be.count(id) == 0 {
			n++
		}
	}
	return n
}

// count fills the item counts of s from the clients' ledger and the backend.
func (r *run) count(s *Summary) {
	acked := r.ledger.ackedCopy()
	seen := r.be.snapshot()
	dropped := r.ledger.droppedCopy()
	dropSet := make(map[string]bool, len(dropped))
	for _, id := range dropped {
		dropSet[id] = true
	}
	s.SentItems = r.ledger.sentItems.Load()
	s.AckedItems = int64(len(acked))
	s.LostByPipeline = map[string]int64{}
	for id, where := range acked {
		if seen[id] == 0 {
			s.LostItems++
			s.LostByPipeline[where]++
			if len(s.LostExamples) < 20 {
				s.LostExamples = append(s.LostExamples, id)
			}
		}
	}
	sort.Strings(s.LostExamples)
	for id, n := range seen {
		if dropSet[id] {
			s.FilterLeaks++
			continue
		}
		s.DeliveredItems++
		s.DuplicateItems += int64(n - 1)
		if _, ok := acked[id]; !ok {
			s.DeliveredUnacked++
		}
	}
	s.Requests = RequestCounts{
		OK: r.ledger.okReqs.Load(), Failed: r.ledger.failReqs.Load(), Skipped: r.ledger.skipped.Load(),
		FailedByKindAndCode: r.ledger.errorCounts(),
	}
	s.Backend = BackendCounts{
		RefusedUnavailable: r.be.refusedUnavailable.Load(), RefusedThrottled: r.be.refusedThrottled.Load(),
		Delayed: r.be.delayed.Load(), CutWhileSlow: r.be.cutWhileSlow.Load(),
	}
}
