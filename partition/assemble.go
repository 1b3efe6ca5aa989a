package partition

// buildGoHalf is the user's config with Rust components removed, bridge ends
// added and service.pipelines replaced by the Go parts. Everything else
// (extensions, service.telemetry, service.extensions, unknown keys) is copied
// untouched. Unused Go components stay, as the collector would keep them.
func buildGoHalf(uc *userConfig, infos map[ref]ComponentInfo, plans []*pipelinePlan, bridges []Bridge, qp *queuePlan,
	holding map[*part]bool, opts Options) map[string]any {
	half := deepCopy(uc.raw).(map[string]any)
	sections := map[Kind]map[string]any{}
	feeding := receiversFeedingBridges(plans)
	passThrough := passThroughReceivers(plans)
	for _, kind := range pipelineKinds {
		sec := map[string]any{}
		for id, c := range uc.components[kind] {
			r := ref{kind: kind, id: id}
			if infos[r].Runtime != Go {
				continue
			}
			cfg := deepCopy(c.cfg)
			if feeding[r] {
				cfg = setIncludeMetadata(id.typ, cfg)
			}
			if passThrough[r] && opts.GoBridgeMiddleware != "" {
				cfg = addGRPCMiddleware(cfg, opts.GoBridgeMiddleware)
			}
			sec[id.String()] = cfg
		}
		sections[kind] = sec
	}
	ends := goBridgeEnds
	if opts.InProcess {
		ends = inProcessBridgeEnds
	}
	pipes := buildPipelines(Go, plans, bridges, sections, opts, ends, holding, func(r ref) string { return r.id.String() })
	qp.applyToGo(sections[Exporter])
	for kind, sec := range sections {
		if len(sec) == 0 {
			delete(half, kind.section())
		} else {
			half[kind.section()] = sec
		}
	}
	if len(plans) > 0 {
		// An all-Rust config leaves this empty; the Go collector then needs
		// the service.AllowNoPipelines feature gate (the caller's business).
		service, _ := half["service"].(map[string]any)
		service["pipelines"] = pipes
	}
	return half
}

// buildRustHalf holds only Rust components under their native names, the
// bridge ends, and the health_check extension the supervisor polls. Unused
// Rust components go here too (a Rust half exists only when some pipeline
// uses Rust; otherwise they are dropped, see doc.go).
func buildRustHalf(uc *userConfig, infos map[ref]ComponentInfo, placed map[ref]placedReceiver, plans []*pipelinePlan,
	bridges []Bridge, qp *queuePlan, opts Options, health address) map[string]any {
	nativeID := func(r ref) string { return r.id.withType(infos[r].native()).String() }
	sections := map[Kind]map[string]any{}
	for _, kind := range []Kind{Receiver, Processor, Exporter} {
		sec := map[string]any{}
		for id, c := range uc.components[kind] {
			r := ref{kind: kind, id: id}
			if p, ok := placed[r]; ok {
				sec[nativeID(r)] = deepCopy(p.cfg) // a Go receiver placed here, in the Rust receiver's form
			} else if infos[r].Runtime == Rust {
				sec[nativeID(r)] = deepCopy(c.cfg)
			}
		}
		sections[kind] = sec
	}
	// Before the bridge ends join them: the receivers that take outside traffic.
	fedByGoOnly := len(sections[Receiver]) == 0
	ends := rustBridgeEnds
	if opts.InProcess {
		ends = inProcessBridgeEnds
	}
	pipes := buildPipelines(Rust, plans, bridges, sections, opts, ends, nil, nativeID)
	qp.applyToRust(sections[Exporter], nativeID)
	half := map[string]any{
		"extensions": map[string]any{"health_check": rustHealthConfig(health)},
		"service": map[string]any{
			"extensions": []any{"health_check"},
			"pipelines":  pipes,
		},
	}
	if opts.RustMemoryLimitMiB > 0 {
		half["service"].(map[string]any)["memory_limit_mib"] = opts.RustMemoryLimitMiB
	}
	if n := rustWorkerThreads(opts, fedByGoOnly); n > 0 {
		half["service"].(map[string]any)["worker_threads"] = n
	}
	if opts.InProcess {
		// Readiness in-process is the start call returning: no listener.
		delete(half, "extensions")
		delete(half["service"].(map[string]any), "extensions")
	}
	for kind, sec := range sections {
		if len(sec) > 0 {
			half[kind.section()] = sec
		}
	}
	return half
}

// rustWorkerThreads sizes the Rust half's async runtime (0: one thread per
// CPU, the Rust default). A half fed only through bridges does a fraction of
// the Go half's work per item (a quarter to a third on the bench), so half
// the CPUs leave the Go half its own: more runtime threads than the work
// needs cost CPU in cross-thread wake-ups and work stealing (one thread
// instead of two on 2 CPUs: 0.27 → 0.21 CPU s per million points, and the
// whole hybrid pipeline 1.37× → 1.29× native). A half with receivers of its
// own runs whole pipelines and keeps every CPU.
func rustWorkerThreads(opts Options, fedByGoOnly bool) int {
	switch {
	case opts.RustWorkerThreads > 0:
		return opts.RustWorkerThreads
	case fedByGoOnly && opts.CPUs > 0:
		return max(1, opts.CPUs/2)
	}
	return 0
}

// pipelineMap writes one part as a collector pipeline: the user's components
// in the user's order, then the bridge ends (and, before a Go bridge exporter,
// the processor that cancels its requests at shutdown).
func pipelineMap(pt *part, id func(ref) string, bridgeRecvs, bridgeProcs, bridgeExps []string) map[string]any {
	list := func(refs []ref, extra []string) []any {
		out := make([]any, 0, len(refs)+len(extra))
		for _, r := range refs {
			out = append(out, id(r))
		}
		for _, e := range extra {
			out = append(out, e)
		}
		return out
	}
	m := map[string]any{
		"receivers": list(pt.receivers, bridgeRecvs),
		"exporters": list(pt.exporters, bridgeExps),
	}
	if len(pt.processors)+len(bridgeProcs) > 0 {
		m["processors"] = list(pt.processors, bridgeProcs)
	}
	return m
}

// deepCopy copies the maps and lists confmap/YAML produce, so neither half
// shares mutable state with the user's config or with the other half.
func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = deepCopy(x)
		}
		return out
	case map[any]any:
		out := make(map[any]any, len(t))
		for k, x := range t {
			out[k] = deepCopy(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = deepCopy(x)
		}
		return out
	case []string:
		return append([]string(nil), t...)
	default:
		return v
	}
}

// bridgeEnds is how one runtime writes its side of a bridge.
type bridgeEnds struct {
	receiverType, exporterType string
	receiver                   func(address) map[string]any
	exporter                   func(address, Options) map[string]any
}

var (
	goBridgeEnds   = bridgeEnds{goBridgeReceiverType, goBridgeExporterType, goBridgeReceiverConfig, goBridgeExporterConfig}
	rustBridgeEnds = bridgeEnds{rustBridgeReceiverType, rustBridgeExporterType, rustBridgeReceiverConfig, rustBridgeExporterConfig}
	// In-process crossings have the same ends in both runtimes.
	inProcessBridgeEnds = bridgeEnds{inProcessBridgeType, inProcessBridgeType, inProcessBridgeConfig, inProcessBridgeExporterConfig}
)

// buildPipelines writes the pipelines of runtime rt: each part of a user
// pipeline that runs there, with the bridge ends it starts or ends with added
// to sections. idOf names a component in that runtime's config; the Go parts
// in holding get the bridge processor that keeps received bytes for a queue.
func buildPipelines(rt Runtime, plans []*pipelinePlan, bridges []Bridge, sections map[Kind]map[string]any,
	opts Options, ends bridgeEnds, holding map[*part]bool, idOf func(ref) string) map[string]any {
	pipes := map[string]any{}
	for _, pl := range plans {
		for _, pt := range pl.parts {
			if pt.rt != rt {
				continue
			}
			var recvs, exps []string
			for _, l := range pt.in {
				b := bridges[pl.bridges[l]]
				id := compID{ends.receiverType, b.Name}.String()
				sections[Receiver][id] = ends.receiver(address{target: b.Endpoint, path: b.SocketPath})
				recvs = append(recvs, id)
			}
			for _, l := range pt.out {
				b := bridges[pl.bridges[l]]
				id := compID{ends.exporterType, b.Name}.String()
				sections[Exporter][id] = ends.exporter(address{target: b.Endpoint, path: b.SocketPath}, opts)
				exps = append(exps, id)
			}
			var procs []string
			if rt == Go && len(exps) > 0 && opts.GoBridgeProcessor != "" {
				id, cfg := opts.GoBridgeProcessor, map[string]any{}
				if holding[pt] {
					id, cfg = holdingProcessor(opts.GoBridgeProcessor), map[string]any{keepReceivedSetting: true}
				}
				sections[Processor][id] = cfg
				procs = append(procs, id)
			}
			pipes[pt.name] = pipelineMap(pt, idOf, recvs, procs, exps)
		}
	}
	return pipes
}
