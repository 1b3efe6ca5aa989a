package partition

import (
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"
)

// pools of user-facing ids the generator draws from, per runtime.
var (
	genReceivers  = []string{"otlp", "otlp/b", "rust_otlp", "rust_otlp/b"}
	genProcessors = []string{"batch", "batch/x", "memory_limiter", "advanced_filter", "advanced_filter/y", "fault"}
	genExporters  = []string{"otlp", "otlp_grpc/z", "otlp_http", "debug", "otlp_rust", "rust_debug", "file", "file/w"}

	genRustProcessors = []string{"advanced_filter", "advanced_filter/y", "fault"}
	genRustExporters  = []string{"otlp_rust", "rust_debug", "file", "file/w"}
)

// genConfig builds a random valid config: 1–6 pipelines over the three
// signals, random subsets of both runtimes on every position, and forward
// connectors that only link a pipeline to later ones of the same signal (so
// the graph stays acyclic, as the collector requires).
func genConfig(rng *rand.Rand) map[string]any {
	pick := func(pool []string, lo, hi int) []string {
		n := lo + rng.Intn(hi-lo+1)
		perm := rng.Perm(len(pool))
		out := make([]string, 0, n)
		for _, i := range perm[:min(n, len(pool))] {
			out = append(out, pool[i])
		}
		return out
	}
	type pipe struct {
		id         string
		signal     string
		recv, exps []string
		procs      []string
		rustOnly   bool
	}
	var pipes []*pipe
	bySignal := map[string][]*pipe{}
	nPipes := 1 + rng.Intn(6)
	for i := range nPipes {
		sig := all3[rng.Intn(3)]
		p := &pipe{id: fmt.Sprintf("%s/p%d", sig, i), signal: sig, procs: pick(genProcessors, 0, 5)}
		if rng.Intn(2) == 0 { // only Rust after the receivers: where receiver placement applies
			p.procs, p.rustOnly = pick(genRustProcessors, 0, 2), true
		}
		pipes = append(pipes, p)
		bySignal[sig] = append(bySignal[sig], p)
	}
	connectors := map[string]any{}
	nConn := 0
	for _, sig := range all3 {
		ps := bySignal[sig]
		for c := 0; len(ps) >= 2 && c < rng.Intn(3); c++ {
			id := fmt.Sprintf("forward/c%d", nConn)
			nConn++
			connectors[id] = nil
			split := 1 + rng.Intn(len(ps)-1)
			from := subsetNonEmpty(rng, ps[:split])
			to := subsetNonEmpty(rng, ps[split:])
			for _, p := range from {
				p.exps = append(p.exps, id)
			}
			for _, p := range to {
				p.recv = append(p.recv, id)
			}
		}
	}
	used := map[string]map[string]bool{"receivers": {}, "processors": {}, "exporters": {}}
	pipelines := map[string]any{}
	for _, p := range pipes {
		minR, minE := 1, 1
		if len(p.recv) > 0 {
			minR = 0
		}
		if len(p.exps) > 0 {
			minE = 0
		}
		p.recv = append(p.recv, pick(genReceivers, minR, 3)...)
		if p.rustOnly {
			p.exps = append(p.exps, pick(genRustExporters, minE, 2)...)
		} else {
			p.exps = append(p.exps, pick(genExporters, minE, 4)...)
		}
		rng.Shuffle(len(p.recv), func(i, j int) { p.recv[i], p.recv[j] = p.recv[j], p.recv[i] })
		rng.Shuffle(len(p.exps), func(i, j int) { p.exps[i], p.exps[j] = p.exps[j], p.exps[i] })
		for _, r := range p.recv {
			if connectors[r] == nil && !hasKey(connectors, r) {
				used["receivers"][r] = true
			}
		}
		for _, r := range p.procs {
			used["processors"][r] = true
		}
		for _, e := range p.exps {
			if !hasKey(connectors, e) {
				used["exporters"][e] = true
			}
		}
		pipelines[p.id] = map[string]any{"receivers": toAny(p.recv), "processors": toAny(p.procs), "exporters": toAny(p.exps)}
	}
	cfg := map[string]any{"service": map[string]any{"pipelines": pipelines}}
	for sec, ids := range used {
		m := map[string]any{}
		for id := range ids {
			m[id] = map[string]any{"setting": id} // a marker to check configs travel with their component
		}
		if sec == "receivers" {
			for id := range ids {
				m[id] = genReceiverConfigs[rng.Intn(len(genReceiverConfigs))]()
			}
		}
		if len(m) > 0 {
			cfg[sec] = m
		}
	}
	if len(connectors) > 0 {
		cfg["connectors"] = connectors
	}
	return cfg
}

// genReceiverConfigs are otlp settings the Rust otlp receiver implements
// (the first two) or not (tls): placement must move only the former.
var genReceiverConfigs = []func() map[string]any{
	func() map[string]any { return map[string]any{"protocols": map[string]any{"grpc": nil}} },
	func() map[string]any {
		return map[string]any{"protocols": map[string]any{"grpc": map[string]any{"endpoint": "localhost:4317"}, "http": nil}}
	},
	func() map[string]any {
		return map[string]any{"protocols": map[string]any{"grpc": map[string]any{"tls": map[string]any{"insecure": true}}}}
	},
}

func hasKey(m map[string]any, k string) bool { _, ok := m[k]; return ok }

func subsetNonEmpty[T any](rng *rand.Rand, s []T) []T {
	var out []T
	for _, x := range s {
		if rng.Intn(2) == 0 {
			out = append(out, x)
		}
	}
	if len(out) == 0 {
		out = append(out, s[rng.Intn(len(s))])
	}
	return out
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}

// TestPropertyPathsPreserved: for random valid configs, the two halves
// composed through their bridges carry every user path exactly once and no
// other, every component lands in its runtime, and the input is not modified.
func TestPropertyPathsPreserved(t *testing.T) {
	cat := testCatalog(t)
	rng := rand.New(rand.NewSource(20240601))
	const cases = 400
	crossings, rustHalves, placed := 0, 0, 0
	for i := range cases {
		user := genConfig(rng)
		before := deepCopy(user)
		res, err := Partition(user, cat, testOptions())
		if err != nil {
			t.Fatalf("case %d: Partition: %v\n%s", i, err, mustYAML(user))
		}
		if err := checkComposition(user, res, cat); err != nil {
			t.Fatalf("case %d: %v\ninput:\n%s", i, err, mustYAML(user))
		}
		if !equalConfigs(before, user) {
			t.Fatalf("case %d: Partition modified its input", i)
		}
		again, err := Partition(user, cat, testOptions())
		if err != nil || !equalConfigs(again.Go, res.Go) || !equalConfigs(again.Rust, res.Rust) || !slices.Equal(again.Bridges, res.Bridges) {
			t.Fatalf("case %d: Partition is not deterministic", i)
		}
		crossings += len(res.Bridges)
		if res.Rust != nil {
			rustHalves++
		}
		off := testOptions()
		off.KeepReceiversInGo = true
		resOff, err := Partition(user, cat, off)
		if err != nil {
			t.Fatalf("case %d: Partition with placement off: %v", i, err)
		}
		if err := checkComposition(user, resOff, cat); err != nil {
			t.Fatalf("case %d: placement off: %v\ninput:\n%s", i, err, mustYAML(user))
		}
		n, err := checkPlacements(user, res, resOff, cat)
		if err != nil {
			t.Fatalf("case %d: %v\ninput:\n%s", i, err, mustYAML(user))
		}
		placed += n
	}
	// Guard against a generator that silently stopped producing interesting configs.
	if crossings < cases || rustHalves < cases/2 || placed < cases/25 {
		t.Fatalf("generator too tame: %d bridges, %d Rust halves, %d placed receivers over %d configs", crossings, rustHalves, placed, cases)
	}
	t.Logf("%d configs, %d bridges, %d with a Rust half, %d receivers placed in Rust", cases, crossings, rustHalves, placed)
}

// checkPlacements reads the user's config on its own terms: a Go otlp
// receiver runs in Rust exactly when placement is on, every pipeline using
// it continues only with Rust components, its settings are ones the
// generator marks as implemented (no tls), and no Rust receiver of the user
// has its id there. Off, nothing moves. Moving never adds a bridge.
func checkPlacements(user map[string]any, on, off *Result, cat *Catalog) (int, error) {
	for _, p := range off.Placements {
		if p.Runtime == Rust {
			return 0, fmt.Errorf("placement off, yet %q", p)
		}
	}
	if len(on.Bridges) > len(off.Bridges) {
		return 0, fmt.Errorf("placement added bridges: %d, off %d", len(on.Bridges), len(off.Bridges))
	}
	recvs, _ := user["receivers"].(map[string]any)
	pipes, _ := user["service"].(map[string]any)["pipelines"].(map[string]any)
	runtimeOf := func(kind Kind, id string) Runtime {
		typ, _, _ := strings.Cut(id, "/")
		if info, ok := cat.lookup(kind, typ); ok {
			return info.Runtime
		}
		return Go // a connector
	}
	placed := 0
	for _, id := range sortedKeys(recvs) {
		if runtimeOf(Receiver, id) != Go {
			continue
		}
		used, onlyRust := false, true
		for _, pid := range sortedKeys(pipes) {
			pm := pipes[pid].(map[string]any)
			rl, _ := asStringList(pm["receivers"], "")
			if !slices.Contains(rl, id) {
				continue
			}
			used = true
			procs, _ := asStringList(pm["processors"], "")
			exps, _ := asStringList(pm["exporters"], "")
			for _, c := range procs {
				onlyRust = onlyRust && runtimeOf(Processor, c) == Rust
			}
			for _, c := range exps {
				onlyRust = onlyRust && runtimeOf(Exporter, c) == Rust
			}
		}
		rc, _ := recvs[id].(map[string]any)
		protos, _ := rc["protocols"].(map[string]any)
		grpc, _ := protos["grpc"].(map[string]any)
		_, tls := grpc["tls"]
		_, clash := recvs[rustPrefix+id]
		want := used && onlyRust && !tls && !clash
		if got := placedIn(on, id) == Rust; got != want {
			return 0, fmt.Errorf("receiver %s: placed in Rust = %v, want %v (used %v, only Rust after it %v, tls %v, id taken %v)",
				id, got, want, used, onlyRust, tls, clash)
		}
		if want {
			placed++
		}
	}
	return placed, nil
}
