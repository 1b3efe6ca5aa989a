// Command soak runs the soak harness (package soak) against otelcol-hybrid
// and writes its summary as JSON. It exits 1 when the run finds a problem
// (an acknowledged item lost, fewer than four fault kinds, the parent not
// back to its idle fds and goroutines, anything left behind) and 2 when the
// run could not be carried out.
//
//	soak -bin bin/otelcol-hybrid -duration 2m -out soak/results/summary.json
//
// SOAK_DURATION, SOAK_TRANSPORT and OTELCOL_HYBRID_BIN are the defaults of
// -duration, -transport and -bin.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/otelcol-hybrid/otelcol-hybrid/soak"
)

func main() {
	dur := 2 * time.Minute
	if v := os.Getenv("SOAK_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			log.Fatalf("SOAK_DURATION=%q: %v", v, err)
		}
		dur = d
	}
	bin := flag.String("bin", os.Getenv("OTELCOL_HYBRID_BIN"), "otelcol-hybrid to run (default $OTELCOL_HYBRID_BIN)")
	flag.DurationVar(&dur, "duration", dur, "length of the loaded phase with faults (default $SOAK_DURATION or 2m)")
	out := flag.String("out", "soak/results/summary.json", "where the JSON summary goes")
	logPath := flag.String("collector-log", "soak/results/collector.log", "where the collector's output goes (empty: discarded)")
	cfgPath := flag.String("config", "", "a collector config template to use instead of soak/collector.yaml (same placeholders)")
	transport := flag.String("transport", envOr("SOAK_TRANSPORT", "unix"), "bridge transport: unix or tcp (default $SOAK_TRANSPORT or unix)")
	every := flag.Duration("fault-every", 2*time.Second, "pause between one fault's end and the next")
	flag.Parse()
	if *bin == "" {
		log.Fatal("no otelcol-hybrid: pass -bin or set OTELCOL_HYBRID_BIN")
	}
	if dur < 30*time.Second {
		log.Fatalf("duration %s: at least 30s, so that four fault kinds fit", dur)
	}
	if *logPath != "" {
		if err := os.MkdirAll(dirOf(*logPath), 0o755); err != nil {
			log.Fatal(err)
		}
	}
	var cfg string
	if *cfgPath != "" {
		b, err := os.ReadFile(*cfgPath)
		if err != nil {
			log.Fatal(err)
		}
		cfg = string(b)
	}
	lg := log.New(os.Stderr, "soak: ", log.Ltime)
	s, err := soak.Run(soak.Options{Bin: *bin, Duration: dur, FaultEvery: *every, LogPath: *logPath, Config: cfg, Transport: *transport, Logf: lg.Printf})
	if err != nil {
		lg.Printf("the run could not be carried out: %v", err)
		os.Exit(2)
	}
	if err := s.Write(*out); err != nil {
		lg.Printf("writing %s: %v", *out, err)
		os.Exit(2)
	}
	fmt.Printf("soak: acked %d, delivered %d, lost %d, duplicates %d, faults %v, child restarts %d; summary in %s\n",
		s.AckedItems, s.DeliveredItems, s.LostItems, s.DuplicateItems, s.FaultsInjected, s.ChildRestarts, *out)
	if !s.Pass {
		for _, p := range s.Problems {
			fmt.Fprintln(os.Stderr, "soak: FAIL:", p)
		}
		os.Exit(1)
	}
	fmt.Println("soak: PASS")
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func dirOf(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[:i]
		}
	}
	return "."
}
