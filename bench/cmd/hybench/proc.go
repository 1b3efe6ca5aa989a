package main

// Running a collector under test and reading its resource use from /proc.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// clkTck is USER_HZ; 100 on every Linux this runs on.
const clkTck = 100

type collectorProc struct {
	cmd     *exec.Cmd
	start   time.Time
	readyAt time.Duration // exec → "Everything is ready"
	mu      sync.Mutex
	log     []string // stderr lines with offsets, for the report
	ready   chan struct{}
	exited  chan struct{}
	once    sync.Once
}

// startCollector execs bin with --config cfg and waits for the collector's
// "Everything is ready" log line (printed after every component, including
// the rust_subprocess extension that waits for the child's SERVING, started).
func startCollector(bin, cfg string, env []string, timeout time.Duration) (*collectorProc, error) {
	cmd := exec.Command(bin, "--config", cfg)
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout = io.Discard
	p := &collectorProc{cmd: cmd, ready: make(chan struct{}), exited: make(chan struct{})}
	p.start = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			off := time.Since(p.start)
			p.mu.Lock()
			if len(p.log) < 400 {
				p.log = append(p.log, fmt.Sprintf("+%7.1fms %s", float64(off)/1e6, line))
			}
			p.mu.Unlock()
			if strings.Contains(line, "Everything is ready") {
				p.once.Do(func() { p.readyAt = off; close(p.ready) })
			}
		}
	}()
	// The exit status is not used: stop() kills the process, and an early
	// exit shows up as p.exited closing before the run is over.
	go func() { _ = cmd.Wait(); close(p.exited) }()
	select {
	case <-p.ready:
		return p, nil
	case <-p.exited:
		return nil, fmt.Errorf("%s exited before ready:\n%s", bin, p.tail(30))
	case <-time.After(timeout):
		p.stop()
		return nil, fmt.Errorf("%s not ready after %s:\n%s", bin, timeout, p.tail(30))
	}
}

func (p *collectorProc) tail(n int) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.log
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

func (p *collectorProc) logLines() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.log...)
}

// stop: SIGTERM to the collector (it stops its child), SIGKILL to the group
// after 10 s.
func (p *collectorProc) stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.exited
	}
}

func (p *collectorProc) pid() int { return p.cmd.Process.Pid }

// children returns the PIDs whose parent is pid (the otelcol-rust child).
func children(pid int) []int {
	var out []int
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if c, err := strconv.Atoi(f); err == nil {
				out = append(out, c)
			}
		}
	}
	return out
}

// cpuSeconds is utime+stime of pid (its own threads, not waited children).
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+2:])
	// fields after ")": state(0) ppid(1) ... utime(11) stime(12)
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (u + st) / clkTck
}

// statusKiB reads a "VmHWM:"-style line of /proc/<pid>/status, in KiB.
func statusKiB(pid int, key string) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, key+":") {
			f := strings.Fields(l[len(key)+1:])
			if len(f) > 0 {
				v, _ := strconv.ParseFloat(f[0], 64)
				return v
			}
		}
	}
	return 0
}

func procComm(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return strings.TrimSpace(string(b))
}

// cpuSnap is a CPU-time snapshot of the collector, its child and this process.
type cpuSnap struct {
	parent, child, self float64
	at                  time.Time
}

func (p *collectorProc) snap() cpuSnap {
	s := cpuSnap{parent: cpuSeconds(p.pid()), self: cpuSeconds(os.Getpid()), at: time.Now()}
	for _, c := range children(p.pid()) {
		s.child += cpuSeconds(c)
	}
	return s
}

// waitPort waits until addr accepts TCP connections (used for readiness of
// the collector's OTLP port where needed).
func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
