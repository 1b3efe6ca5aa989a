package partition

import (
	"errors"
	"fmt"
)

// Bridge is one crossing between the halves: an OTLP/gRPC exporter in the
// From half and a receiver in the To half, both named Name, on their own
// listener.
type Bridge struct {
	Name   string // "bridge_<N>", the component name on both ends
	Signal string
	From   Runtime
	To     Runtime
	// Endpoint is the gRPC target: "unix:///dir/b<N>.sock" or "127.0.0.1:PORT".
	Endpoint string
	// SocketPath is the unix socket file ("" for tcp), for cleanup.
	SocketPath string
	// Pipeline is the user's pipeline this crossing belongs to.
	Pipeline string
	// SourcePipeline and TargetPipeline are generated pipeline ids in the
	// From and To halves.
	SourcePipeline, TargetPipeline string
}

// Result is a partitioned config.
type Result struct {
	Go   map[string]any // always present; the user's config minus Rust components
	Rust map[string]any // nil when no pipeline uses a Rust component
	// Bridges in allocation order (user pipelines sorted by id, then flow order).
	Bridges []Bridge
	// Placements says, for every Go receiver that feeds Rust components,
	// whether it runs in the Rust half and why (sorted by receiver id).
	Placements []Placement
	// HealthEndpoint is the gRPC target of the Rust half's grpc.health.v1
	// service; "" when there is no Rust half.
	HealthEndpoint   string
	HealthSocketPath string // "" for tcp or no Rust half
	// GoMade are the components of the Go half the partitioner wrote rather
	// than the user, by kind, with their ids as in Go: each bridge's Go end
	// and the Go bridge processor (unless the user's config has one of that
	// id). None of them is a user's component: bridge names skip every name
	// the user gave.
	GoMade map[Kind][]string
}

// pipelinePlan is one user pipeline and the parts it was cut into.
type pipelinePlan struct {
	spec    pipelineSpec
	parts   []*part
	links   []link
	bridges []int // link index → index in Result.Bridges
}

// Partition splits a user config (string-keyed, as confmap.ToStringMap
// returns it) into a Go half and a Rust half joined by bridges. It never
// modifies user and does no I/O (TCPAddr aside).
func Partition(user map[string]any, cat *Catalog, opts Options) (*Result, error) {
	if cat == nil {
		return nil, errors.New("partition: nil catalog")
	}
	opts, err := opts.normalized()
	if err != nil {
		return nil, err
	}
	uc, err := parseUserConfig(user)
	if err != nil {
		return nil, err
	}
	infos, err := resolve(uc, cat)
	if err != nil {
		return nil, err
	}
	var placed map[ref]placedReceiver
	res := &Result{}
	res.Placements, placed = placeReceivers(uc, cat, infos, opts)
	rtOf := func(r ref) Runtime { return infos[r].Runtime }

	plans := make([]*pipelinePlan, len(uc.pipelines))
	hasRust := false
	for i, p := range uc.pipelines {
		parts, links := splitPipeline(p, rtOf)
		plans[i] = &pipelinePlan{spec: p, parts: parts, links: links}
		for _, pt := range parts {
			hasRust = hasRust || pt.rt == Rust
		}
	}
	namePipelines(plans)

	if err := allocateBridges(plans, uc, cat, opts, res); err != nil {
		return nil, err
	}
	qp, err := planQueues(uc, infos, plans, res.Bridges, opts)
	if err != nil {
		return nil, err
	}
	holding := holdingParts(plans, res.Bridges, qp)
	res.GoMade = goMade(uc, res.Bridges, opts, len(holding) > 0)
	res.Go = buildGoHalf(uc, infos, plans, res.Bridges, qp, holding, opts)
	if hasRust && opts.InProcess {
		res.Rust = buildRustHalf(uc, infos, placed, plans, res.Bridges, qp, opts, address{})
	} else if hasRust {
		health, err := opts.addressFor(0)
		if err != nil {
			return nil, err
		}
		res.HealthEndpoint, res.HealthSocketPath = health.target, health.path
		res.Rust = buildRustHalf(uc, infos, placed, plans, res.Bridges, qp, opts, health)
	}
	return res, nil
}

// namePipelines gives each part its pipeline id. In each half the first part
// of a user pipeline keeps the user's id (see testdata/mixed_example), so a
// pipeline that does not cross keeps its name; later parts get
// "<id>.part<k>" (k counts all parts of that pipeline in flow order,
// so both files read together show the order), made unique against
// every user pipeline id.
func namePipelines(plans []*pipelinePlan) {
	taken := map[string]bool{}
	for _, pl := range plans {
		taken[pl.spec.id.String()] = true
	}
	for _, pl := range plans {
		firstIn := map[Runtime]bool{}
		for k, pt := range pl.parts {
			if !firstIn[pt.rt] {
				firstIn[pt.rt] = true
				pt.name = pl.spec.id.String()
				continue
			}
			base := fmt.Sprintf("part%d", k+1)
			if pl.spec.id.name != "" {
				base = pl.spec.id.name + "." + base
			}
			name := pipeID{signal: pl.spec.id.signal, name: base}.String()
			for i := 2; taken[name]; i++ {
				name = pipeID{signal: pl.spec.id.signal, name: fmt.Sprintf("%s_%d", base, i)}.String()
			}
			taken[name] = true
			pt.name = name
		}
	}
}

// allocateBridges numbers the crossings, skipping any bridge_<N> name a user
// component already has, and gives each its listener.
func allocateBridges(plans []*pipelinePlan, uc *userConfig, cat *Catalog, opts Options, res *Result) error {
	userNames := map[string]bool{}
	for _, comps := range uc.components {
		for id := range comps {
			userNames[id.name] = true
		}
	}
	n := 0
	var err error
	for _, pl := range plans {
		pl.bridges = make([]int, len(pl.links))
		for i, l := range pl.links {
			if len(res.Bridges) == 0 {
				if err := checkBridgeTypes(cat, opts.InProcess); err != nil {
					return err
				}
			}
			n++
			for userNames[bridgeName(n)] {
				n++
			}
			var addr address
			if !opts.InProcess {
				if addr, err = opts.addressFor(n); err != nil {
					return err
				}
			}
			from, to := pl.parts[l.from], pl.parts[l.to]
			pl.bridges[i] = len(res.Bridges)
			res.Bridges = append(res.Bridges, Bridge{
				Name: bridgeName(n), Signal: pl.spec.id.signal, From: from.rt, To: to.rt,
				Endpoint: addr.target, SocketPath: addr.path, Pipeline: pl.spec.id.String(),
				SourcePipeline: from.name, TargetPipeline: to.name,
			})
		}
	}
	return nil
}

// checkBridgeTypes makes sure the runtimes really offer what bridges are made of.
// In-process bridges need only the Go ends in the catalog: the Rust ends
// come with the linked Rust library itself.
func checkBridgeTypes(cat *Catalog, inProcess bool) error {
	type needed struct {
		kind   Kind
		rt     Runtime
		native string
	}
	need := []needed{
		{Exporter, Go, goBridgeExporterType}, {Receiver, Go, goBridgeReceiverType},
		{Receiver, Rust, rustBridgeReceiverType}, {Exporter, Rust, rustBridgeExporterType},
	}
	if inProcess {
		need = []needed{{Exporter, Go, inProcessBridgeType}, {Receiver, Go, inProcessBridgeType}}
	}
	for _, n := range need {
		if !cat.hasNative(n.kind, n.rt, n.native) {
			return fmt.Errorf("catalog: bridges need the %s %s type %s, which the catalog lacks", n.rt, n.kind, q(n.native))
		}
	}
	return nil
}

func (c *Catalog) hasNative(kind Kind, rt Runtime, native string) bool {
	for _, info := range c.byType {
		if info.Kind == kind && info.Runtime == rt && info.native() == native {
			return true
		}
	}
	return false
}
