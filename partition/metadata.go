package partition

// includeMetadataProtocols lists, per Go receiver type, the protocol sections
// that accept `include_metadata`. Only types listed here are touched: adding
// the key to a receiver that does not know it would make the config invalid.
var includeMetadataProtocols = map[string][]string{
	"otlp": {"grpc", "http"},
}

// setIncludeMetadata turns on `include_metadata` in every protocol the user
// configured, unless the user set it (to anything) already. cfg is the Go
// half's private copy.
func setIncludeMetadata(typ string, cfg any) any {
	protos, ok := includeMetadataProtocols[typ]
	if !ok {
		return cfg
	}
	pm := receiverProtocols(cfg)
	if pm == nil {
		return cfg
	}
	for _, proto := range protos {
		v, present := pm[proto]
		if !present {
			continue
		}
		switch pc := v.(type) {
		case nil: // "grpc:" alone enables the protocol with defaults
			pm[proto] = map[string]any{"include_metadata": true}
		case map[string]any:
			if _, set := pc["include_metadata"]; !set {
				pc["include_metadata"] = true
			}
		}
	}
	return cfg
}

// receiversFeedingBridges finds the user's Go receivers whose data reaches a
// Go → Rust bridge, directly or through connectors: their client metadata
// has to be captured so the bridge can pass it on.
func receiversFeedingBridges(plans []*pipelinePlan) map[ref]bool {
	var goParts []*part
	for _, pl := range plans {
		for _, pt := range pl.parts {
			if pt.rt == Go {
				goParts = append(goParts, pt)
			}
		}
	}
	feeds := map[*part]bool{}
	connectorFeeds := map[compID]bool{} // a part receiving from this connector feeds a bridge
	// Fixed point instead of recursion: connector graphs are acyclic here,
	// but this stays finite whatever the input.
	for changed := true; changed; {
		changed = false
		for _, pt := range goParts {
			if feeds[pt] {
				continue
			}
			f := len(pt.out) > 0
			for _, e := range pt.exporters {
				f = f || (e.kind == Connector && connectorFeeds[e.id])
			}
			if f {
				feeds[pt], changed = true, true
				for _, r := range pt.receivers {
					if r.kind == Connector {
						connectorFeeds[r.id] = true
					}
				}
			}
		}
	}
	out := map[ref]bool{}
	for pt := range feeds {
		for _, r := range pt.receivers {
			if r.kind == Receiver {
				out[r] = true
			}
		}
	}
	return out
}

// receiverProtocols is the `protocols` section of a receiver's config, or nil
// when the config has none (or is not a map).
func receiverProtocols(cfg any) map[string]any {
	m, _ := cfg.(map[string]any)
	pm, _ := m["protocols"].(map[string]any)
	return pm
}
