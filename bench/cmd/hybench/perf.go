package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// profile runs sc under saturation (headline load) with perf sampling both
// processes' user space, and returns perf's flat profile (top symbols).
// It runs after the measured windows: perf's own cost never touches them.
//
// The samples are kept as <out>/perf-<scenario>.data for `perf report -i`.
func profile(sc scenario, bin, rustBin, work, out string, sk *sink, lc loadCfg, secs int) string {
	dir, _ := os.MkdirTemp(work, "perf-")
	recv := freePort()
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte(sc.Config(recv, sk.addr)), 0o600); err != nil {
		return "perf: " + err.Error()
	}
	env := []string{"OTELCOL_HYBRID_RUNTIME_DIR=" + dir}
	if rustBin != "" {
		env = append(env, "OTELCOL_HYBRID_RUST_BIN="+rustBin)
	}
	p, err := startCollector(bin, cfg, env, 60*time.Second)
	if err != nil {
		return "perf: " + firstLines(err.Error(), 5)
	}
	defer p.stop()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := generate(ctx, recv, comboBatch("metrics-1000"), lc.conc, 0, nil); err != nil && ctx.Err() == nil {
			logf("perf: load generator: %v", err)
		}
	}()
	defer func() { cancel(); <-done }()
	time.Sleep(lc.warm)
	pids := []string{fmt.Sprint(p.pid())}
	for _, c := range children(p.pid()) {
		pids = append(pids, fmt.Sprint(c))
	}
	data := filepath.Join(dir, "perf.data")
	rec, err := exec.Command("perf", "record", "-q", "-e", "cpu-clock:u", "-F", "499", "-p", strings.Join(pids, ","),
		"-o", data, "--", "sleep", fmt.Sprint(secs)).CombinedOutput()
	if err != nil {
		return fmt.Sprintf("perf record failed: %v: %s", err, firstLines(string(rec), 5))
	}
	if b, err := os.ReadFile(data); err == nil {
		_ = os.WriteFile(filepath.Join(out, "perf-"+sc.Name+".data"), b, 0o644)
	}
	rep, err := exec.Command("perf", "report", "-i", data, "--stdio", "--sort", "comm,dso", "--percent-limit", "2").Output()
	sym, err2 := exec.Command("perf", "report", "-i", data, "--stdio", "--sort", "comm,sym", "--percent-limit", "1.2").Output()
	if err != nil || err2 != nil {
		return fmt.Sprintf("perf report failed: %v %v", err, err2)
	}
	clean := func(b []byte, n int) string {
		var l []string
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
				continue
			}
			l = append(l, strings.TrimRight(line, " "))
			if len(l) >= n {
				break
			}
		}
		return strings.Join(l, "\n")
	}
	return fmt.Sprintf("scenario %s, %s load, %d s, user-space cpu-clock samples\n-- by process and binary --\n%s\n-- top symbols --\n%s",
		sc.Name, "metrics-1000", secs, clean(rep, 12), clean(sym, 30))
}
