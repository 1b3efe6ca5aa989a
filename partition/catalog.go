package partition

import (
	"fmt"
	"slices"
	"strings"
)

// Runtime says which half of the distribution runs a component.
type Runtime string

// The two runtimes a component can run in.
const (
	Go   Runtime = "go"
	Rust Runtime = "rust"
)

// other returns the opposite runtime; bridges always join a runtime to its other.
func (r Runtime) other() Runtime {
	if r == Go {
		return Rust
	}
	return Go
}

func (r Runtime) title() string {
	if r == Rust {
		return "Rust"
	}
	return "Go"
}

// Kind is the collector component kind, spelled like the config section minus the plural "s".
type Kind string

// The component kinds.
const (
	Receiver  Kind = "receiver"
	Processor Kind = "processor"
	Exporter  Kind = "exporter"
	Connector Kind = "connector"
	Extension Kind = "extension"
)

// section is the top-level config key holding components of this kind.
func (k Kind) section() string { return string(k) + "s" }

// ComponentInfo describes one component type the distribution offers.
type ComponentInfo struct {
	Kind    Kind
	Type    string // the type the user writes in the config
	Runtime Runtime
	Signals []string // traces, metrics, logs, profiles
	// NativeType is the type inside the Rust half; empty means Type.
	NativeType string
	// ConnectorPairs lists the "from->to" signal pairs a connector supports
	// (e.g. "traces->metrics"); empty means same-signal pairs over Signals.
	ConnectorPairs []string
}

// native is the type written into the runtime's own config.
func (c ComponentInfo) native() string {
	if c.NativeType == "" {
		return c.Type
	}
	return c.NativeType
}

func (c ComponentInfo) supports(signal string) bool { return slices.Contains(c.Signals, signal) }

// supportsPair reports whether a connector can take `from` data in and emit `to` data.
func (c ComponentInfo) supportsPair(from, to string) bool {
	if len(c.ConnectorPairs) == 0 {
		return from == to && c.supports(from)
	}
	return slices.Contains(c.ConnectorPairs, from+"->"+to)
}

type catalogKey struct {
	kind Kind
	typ  string
}

// Catalog is the set of component types both runtimes offer, under the names
// the user sees.
type Catalog struct {
	byType map[catalogKey]ComponentInfo
}

// rustPrefix marks a Rust type renamed because a Go type of the same kind owns its native name.
const rustPrefix = "rust_"

// NewCatalog merges the Go factories' types and the Rust collector's native
// types (`otelcol-rust components`). A Rust native type whose name a Go
// component of the same kind already uses is exposed as "rust_<native>", so a
// user-facing type never means two things. It is an error if a user-facing
// type is still provided twice after renaming.
func NewCatalog(goInfos, rustNative []ComponentInfo) (*Catalog, error) {
	c := &Catalog{byType: map[catalogKey]ComponentInfo{}}
	for _, info := range goInfos {
		info.Runtime = Go
		info.NativeType = ""
		if err := c.add(info); err != nil {
			return nil, err
		}
	}
	goOwns := func(k Kind, t string) bool {
		prev, ok := c.byType[catalogKey{k, t}]
		return ok && prev.Runtime == Go
	}
	for _, info := range rustNative {
		info.Runtime = Rust
		info.NativeType = info.native()
		info.Type = info.NativeType
		if goOwns(info.Kind, info.NativeType) {
			info.Type = rustPrefix + info.NativeType
		}
		if err := c.add(info); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (c *Catalog) add(info ComponentInfo) error {
	switch info.Kind {
	case Receiver, Processor, Exporter, Connector, Extension:
	default:
		return fmt.Errorf("catalog: %s type %q: unknown kind %q", info.Runtime, info.Type, info.Kind)
	}
	if !typeRegexp.MatchString(info.Type) || !typeRegexp.MatchString(info.native()) {
		return fmt.Errorf("catalog: %s %s type %q: not a valid component type", info.Runtime, info.Kind, info.Type)
	}
	for _, s := range info.Signals {
		if !isSignal(s) {
			return fmt.Errorf("catalog: %s %s %q: unknown signal %q", info.Runtime, info.Kind, info.Type, s)
		}
	}
	key := catalogKey{info.Kind, info.Type}
	if prev, dup := c.byType[key]; dup {
		if prev.Runtime == info.Runtime {
			return fmt.Errorf("catalog: %s %s type %q is listed twice", info.Runtime, info.Kind, info.Type)
		}
		return fmt.Errorf("catalog: %s type %q is provided by both runtimes (Go %q, Rust native %q); rename one of them",
			info.Kind, info.Type, prev.Type, info.native())
	}
	info.Signals = slices.Clone(info.Signals)
	info.ConnectorPairs = slices.Clone(info.ConnectorPairs)
	c.byType[key] = info
	return nil
}

// lookup finds the component type the user wrote for a kind.
func (c *Catalog) lookup(kind Kind, typ string) (ComponentInfo, bool) {
	info, ok := c.byType[catalogKey{kind, typ}]
	return info, ok
}

// Components lists every type, sorted by kind, then type, for the `components` table.
func (c *Catalog) Components() []ComponentInfo {
	out := make([]ComponentInfo, 0, len(c.byType))
	for _, info := range c.byType {
		info.Signals = slices.Clone(info.Signals)
		info.ConnectorPairs = slices.Clone(info.ConnectorPairs)
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b ComponentInfo) int {
		if d := strings.Compare(string(a.Kind), string(b.Kind)); d != 0 {
			return d
		}
		return strings.Compare(a.Type, b.Type)
	})
	return out
}
