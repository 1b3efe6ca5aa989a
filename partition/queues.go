package partition

import (
	"fmt"
	"slices"
	"strings"
)

// queuedRustExporters are the Rust exporter types with a sending_queue
// (otelcol-core's QueueConfig, the Go exporterhelper's settings).
var queuedRustExporters = map[string]bool{"otlp_rust": true}

// The sending_queue and retry_on_failure defaults shared by Go's
// exporterhelper and the Rust exporters, for comparing two exporters'
// effective settings.
var (
	queueDefaults = map[string]any{
		"enabled": true, "wait_for_result": false, "block_on_overflow": false,
		"sizer": "requests", "queue_size": 1000, "num_consumers": 10, "storage": nil, "batch": nil,
	}
	// The retry_on_failure settings the Go bridge's queue takes from the
	// Rust exporters behind it: whether to retry, and for how long.
	retryDefaults = map[string]any{"enabled": true, "max_elapsed_time": "5m0s"}
)

// The Go bridge queue's retry intervals: it retries the hop, not the
// backend (the Rust exporter does that inside each bridge call, with the
// user's intervals), so a request cut by a child restart is sent again as
// soon as the new child listens (wait_for_ready), not after the user's 5 s.
const (
	bridgeRetryInitial = "10ms"
	bridgeRetryMax     = "1s"
)

// bridgeQueueKeys are the sending_queue settings the Go bridge exporter takes
// over from the Rust exporters behind it; the rest (wait_for_result, batch)
// stay the Rust exporter's business.
var bridgeQueueKeys = []string{"queue_size", "num_consumers", "sizer", "block_on_overflow", "storage"}

// queuePlan is where the queues of the Rust exporters behind bridges live.
type queuePlan struct {
	// goBridge maps a bridge name to the sending_queue and retry_on_failure
	// its Go exporter runs with, replacing the synchronous default.
	goBridge map[string]map[string]any
	// rust says how each queued Rust exporter fed by a bridge changes.
	rust map[ref]*rustQueuePatch
}

type rustQueuePatch struct {
	answerAfterDelivery bool // sending_queue.wait_for_result: true, storage removed
}

// planQueues decides where the sending_queue of every queued Rust exporter
// lives (docs/queues.md). In a Rust part fed by a Go → Rust bridge:
//
//   - the queued Rust exporters answer after delivery, so what the Go side
//     acknowledged is never held only by the child (a restart would lose it);
//   - when they ask for a queue that acknowledges on enqueue (the default),
//     that queue moves to the Go bridge exporter: the user's queue_size,
//     num_consumers, sizer, block_on_overflow and storage (a persistent queue
//     through a Go storage extension), and retry_on_failure's enabled and
//     max_elapsed_time. The Rust exporter keeps its own retries, bounded by
//     each bridge call's deadline; the Go queue retries the hop;
//   - one bridge can hold one queue: the queued Rust exporters behind it must
//     ask for the same sending_queue (and retry enabled / max_elapsed_time),
//     or it is refused.
//
// A Rust exporter asking for storage must be fed through such a bridge: a
// pipeline from a Rust receiver has no Go queue to persist in.
func planQueues(uc *userConfig, infos map[ref]ComponentInfo, plans []*pipelinePlan, bridges []Bridge, opts Options) (*queuePlan, error) {
	qp := &queuePlan{goBridge: map[string]map[string]any{}, rust: map[ref]*rustQueuePatch{}}
	patch := func(r ref) *rustQueuePatch {
		if qp.rust[r] == nil {
			qp.rust[r] = &rustQueuePatch{}
		}
		return qp.rust[r]
	}
	for _, pl := range plans {
		for _, pt := range pl.parts {
			if pt.rt != Rust {
				continue
			}
			var queued []ref
			for _, r := range pt.exporters {
				if r.kind == Exporter && queuedRustExporters[infos[r].native()] {
					queued = append(queued, r)
				}
			}
			if len(queued) == 0 {
				continue
			}
			if len(pt.in) == 0 {
				for _, r := range queued {
					if storage := userQueue(uc, r)["storage"]; storage != nil {
						return nil, fmt.Errorf("service::pipelines::%s: exporter %s: sending_queue.storage %s needs a Go receiver in front of it "+
							"(a persistent queue lives on the Go side of a bridge), but this pipeline feeds it from Rust receiver(s) %s",
							q(pl.spec.id.String()), q(r.id.String()), q(fmt.Sprint(storage)), refNames(pt.receivers))
					}
				}
				continue
			}
			want, err := commonQueue(uc, pl, queued)
			if err != nil {
				return nil, err
			}
			if enabled, _ := want["enabled"].(bool); !enabled {
				continue // a queue the user turned off stays off: sends in the bridge call
			}
			if opts.InProcess {
				// In process there is no child to restart: the Rust queue lives
				// and dies with the collector, as a Go exporter's queue does,
				// so it keeps answering on enqueue and the in-process bridge
				// stays a plain call (a Go queue in front would only add a hop).
				if storage := want["storage"]; storage != nil {
					return nil, fmt.Errorf("service::pipelines::%s: exporter %s: sending_queue.storage %s needs the subprocess mode "+
						"(the in-process bridge has no Go-side queue)", q(pl.spec.id.String()), q(queued[0].id.String()), q(fmt.Sprint(storage)))
				}
				continue
			}
			for _, r := range queued {
				patch(r).answerAfterDelivery = true
			}
			if wfr, _ := want["wait_for_result"].(bool); wfr {
				continue // answers after delivery already; no queue to move
			}
			goQueue := map[string]any{"enabled": true}
			uq := userQueue(uc, queued[0])
			for _, k := range bridgeQueueKeys {
				if v, set := uq[k]; set && v != nil {
					goQueue[k] = deepCopy(v)
				}
			}
			retry := map[string]any{"enabled": true, "initial_interval": bridgeRetryInitial, "max_interval": bridgeRetryMax}
			for k, v := range userRetry(uc, queued[0]) {
				if _, shared := retryDefaults[k]; shared && v != nil {
					retry[k] = deepCopy(v)
				}
			}
			for _, l := range pt.in {
				// wait_for_ready: an export waits (within the bridge timeout)
				// for the connection to a restarted child instead of failing
				// at once while gRPC backs off from the dead one; the queue's
				// drain at shutdown would otherwise drop what the new child
				// could take.
				qp.goBridge[bridges[pl.bridges[l]].Name] = map[string]any{
					"sending_queue": goQueue, "retry_on_failure": retry, "wait_for_ready": true,
				}
			}
		}
	}
	return qp, nil
}

// commonQueue is the effective sending_queue the queued exporters behind one
// bridge share, or an error naming the first setting in which two differ.
// retry_on_failure must agree too when the queue moves to the bridge, as the
// bridge's queue is then the one that retries.
func commonQueue(uc *userConfig, pl *pipelinePlan, queued []ref) (map[string]any, error) {
	first := withDefaults(userQueue(uc, queued[0]), queueDefaults)
	firstRetry := withDefaults(onlyKeys(userRetry(uc, queued[0]), retryDefaults), retryDefaults)
	for _, r := range queued[1:] {
		other := withDefaults(userQueue(uc, r), queueDefaults)
		field, a, b := firstDifference(first, other)
		if field == "" {
			if on, _ := first["enabled"].(bool); on {
				if wfr, _ := first["wait_for_result"].(bool); !wfr {
					field, a, b = firstDifference(firstRetry, withDefaults(onlyKeys(userRetry(uc, r), retryDefaults), retryDefaults))
					if field != "" {
						field = "retry_on_failure." + field
					}
				}
			}
		} else {
			field = "sending_queue." + field
		}
		if field != "" {
			return nil, fmt.Errorf("service::pipelines::%s: Rust exporters %s and %s are fed by one bridge from the Go half, "+
				"whose queue holds their data, but differ in %s (%s vs %s); give them the same sending_queue and retry_on_failure "+
				"or put them in separate pipelines", q(pl.spec.id.String()), q(queued[0].id.String()), q(r.id.String()), field, a, b)
		}
	}
	return first, nil
}

// userQueue and userRetry are an exporter's sending_queue and
// retry_on_failure as the user wrote them (nil when unset).
func userQueue(uc *userConfig, r ref) map[string]any { return userSection(uc, r, "sending_queue") }
func userRetry(uc *userConfig, r ref) map[string]any { return userSection(uc, r, "retry_on_failure") }

func userSection(uc *userConfig, r ref, key string) map[string]any {
	cfg, _ := uc.components[Exporter][r.id].cfg.(map[string]any)
	m, _ := cfg[key].(map[string]any)
	return m
}

func onlyKeys(m, keys map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if _, ok := keys[k]; ok {
			out[k] = v
		}
	}
	return out
}

func withDefaults(m, defaults map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range defaults {
		out[k] = v
	}
	for k, v := range m {
		if v != nil {
			out[k] = v
		}
	}
	return out
}

// firstDifference compares two settings maps key by key (sorted), by their
// printed values, so 1000 and 1000.0 or "5s" written twice agree.
func firstDifference(a, b map[string]any) (field, va, vb string) {
	keys := sortedKeys(a)
	for _, k := range sortedKeys(b) {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		x, y := printed(a[k]), printed(b[k])
		if x != y {
			return k, x, y
		}
	}
	return "", "", ""
}

func printed(v any) string {
	if n, ok := wholeNumber(v); ok {
		return fmt.Sprint(n)
	}
	if v == nil {
		return "unset"
	}
	return fmt.Sprint(v)
}

func refNames(refs []ref) string {
	names := make([]string, len(refs))
	for i, r := range refs {
		names[i] = q(r.id.String())
	}
	return strings.Join(names, ", ")
}

// applyToRust rewrites the queued Rust exporters' settings in the Rust half.
func (qp *queuePlan) applyToRust(exporters map[string]any, id func(ref) string) {
	for r, p := range qp.rust {
		if !p.answerAfterDelivery {
			continue
		}
		cfg, _ := exporters[id(r)].(map[string]any)
		if cfg == nil {
			cfg = map[string]any{}
			exporters[id(r)] = cfg
		}
		qcfg, _ := cfg["sending_queue"].(map[string]any)
		if qcfg == nil {
			qcfg = map[string]any{}
		}
		qcfg["wait_for_result"] = true
		delete(qcfg, "storage") // kept by the Go bridge's queue
		cfg["sending_queue"] = qcfg
	}
}

// applyToGo gives the Go bridge exporters their queues.
func (qp *queuePlan) applyToGo(exporters map[string]any) {
	for name, settings := range qp.goBridge {
		cfg, _ := exporters[compID{goBridgeExporterType, name}.String()].(map[string]any)
		if cfg == nil {
			continue
		}
		for k, v := range settings {
			cfg[k] = deepCopy(v)
		}
	}
}
