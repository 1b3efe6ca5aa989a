// Package builder builds an otelcol-hybrid distribution from an OpenTelemetry
// Collector Builder (OCB) manifest extended with `dist.subprocess_mode` and
// `cargo:` component entries: the Go half by the real OCB, the Rust half as a
// generated otelcol-rust crate embedded into the Go binary.
package builder

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Manifest is a parsed extended OCB manifest. The YAML tree is kept so that
// the Go half handed to OCB is the user's own text minus our extensions:
// every OCB field (replaces, excludes, providers, converters, …) passes
// through untouched, including ones this package does not model.
type Manifest struct {
	File           string // as given, for error messages
	Dist           Dist
	SubprocessMode string // "" = auto
	Cargo          []CargoEntry
	Go             []GoEntry
	Replaces       []string
	root           *yaml.Node // the document's mapping node
}

// Dist is the part of OCB's `dist:` section the hybrid builder reads.
type Dist struct {
	Name, Module, Description, Version, OutputPath, BuildTags string
	CgoEnabled                                                bool
}

// Tags is BuildTags as a list: OCB takes them separated by commas or spaces.
func (d Dist) Tags() []string {
	return strings.Fields(strings.ReplaceAll(d.BuildTags, ",", " "))
}

// GoEntry is one OCB module entry (`gomod:`), kept to name it in errors and
// to check the built binary's catalog against the manifest.
type GoEntry struct {
	Where  string // "receivers[0]"
	Kind   string // "receiver", … (empty for providers/converters/telemetry)
	GoMod  string
	Import string // import path (OCB default: the gomod's module path)
}

// CargoEntry is one Rust component crate.
type CargoEntry struct {
	Where   string // "processors[2]"
	Kind    string // receiver | processor | exporter
	Name    string // crate name as written (also the Rust `use` name)
	Version string // version requirement, "" when Path is set
	Path    string // crate directory, relative to the working directory like OCB's `path:`
}

// Label names the entry in errors: `processors[2] (cargo: advanced_filter)`.
func (c CargoEntry) Label() string { return fmt.Sprintf("%s (cargo: %s)", c.Where, c.Name) }

// Label names the entry in errors: `receivers[0] (gomod: …)`.
func (g GoEntry) Label() string { return fmt.Sprintf("%s (gomod: %s)", g.Where, g.GoMod) }

// The schema of OCB v0.162.0 (cmd/builder/internal/builder/config.go), plus
// our `dist.subprocess_mode`. Unknown keys are errors here because OCB (koanf)
// would silently ignore a misspelt one.
var (
	topKeys = set("dist", "exporters", "extensions", "receivers", "processors", "connectors",
		"telemetry", "providers", "converters", "replaces", "excludes", "conf_resolver")
	distKeys = set("module", "name", "go", "description", "output_path", "version", "build_tags",
		"debug_compilation", "cgo_enabled", "use_absolute_replace_paths", "subprocess_mode")
	goModuleKeys    = set("name", "import", "gomod", "path")
	cargoKeys       = set("cargo", "path", "version")
	confResolverKey = set("default_uri_scheme")
	componentLists  = map[string]string{"receivers": "receiver", "processors": "processor",
		"exporters": "exporter", "connectors": "connector", "extensions": "extension"}
	// Kinds otelcol-rust registers (otelcol-core registry: RECEIVERS, PROCESSORS, EXPORTERS).
	rustKinds = set("receiver", "processor", "exporter")
)

// `advanced_filter = "0.1.0"` (Cargo's dependency form) or a bare crate name.
var (
	cargoSpecRe = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9_-]*)\s*(?:=\s*"([^"]+)")?$`)
	crateNameRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*$`)
)

// ParseManifestFile reads and validates a manifest.
func ParseManifestFile(file string) (*Manifest, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	return ParseManifest(file, data)
}

// ParseManifest validates data; every error is one line naming the file, the
// line and the entry.
func ParseManifest(file string, data []byte) (*Manifest, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: %s", file, strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: the manifest must be a YAML mapping", file)
	}
	m := &Manifest{File: file, root: doc.Content[0]}
	errf := func(n *yaml.Node, where, format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s: %s", file, n.Line, where, fmt.Sprintf(format, args...))
	}
	for i := 0; i < len(m.root.Content); i += 2 {
		k, v := m.root.Content[i], m.root.Content[i+1]
		if !topKeys[k.Value] {
			return nil, errf(k, k.Value, "unknown top-level field (OCB v0.162.0 knows %s)", keysOf(topKeys))
		}
		var err error
		switch k.Value {
		case "dist":
			err = m.parseDist(v, errf)
		case "replaces", "excludes":
			var list []string
			if v.Kind != yaml.SequenceNode || v.Decode(&list) != nil {
				return nil, errf(v, k.Value, "must be a list of strings")
			}
			if k.Value == "replaces" {
				m.Replaces = list
			}
		case "conf_resolver":
			err = checkKeys(v, k.Value, confResolverKey, errf)
		case "telemetry":
			_, err = m.parseGoModule(v, "telemetry", "", errf)
		default: // component lists, providers, converters
			err = m.parseList(k.Value, v, errf)
		}
		if err != nil {
			return nil, err
		}
	}
	if m.Dist.Name == "" {
		return nil, fmt.Errorf("%s: dist.name is required (it names the binary)", file)
	}
	if err := m.checkDuplicates(); err != nil {
		return nil, err
	}
	return m, nil
}

type errFunc func(n *yaml.Node, where, format string, args ...any) error

func (m *Manifest) parseDist(v *yaml.Node, errf errFunc) error {
	if err := checkKeys(v, "dist", distKeys, errf); err != nil {
		return err
	}
	for i := 0; i < len(v.Content); i += 2 {
		k, val := v.Content[i], v.Content[i+1]
		where := "dist." + k.Value
		switch k.Value {
		case "debug_compilation", "use_absolute_replace_paths", "cgo_enabled":
			var b bool
			if val.Decode(&b) != nil {
				return errf(val, where, "must be true or false")
			}
			if k.Value == "cgo_enabled" {
				m.Dist.CgoEnabled = b
			}
			continue
		}
		if val.Kind != yaml.ScalarNode {
			return errf(val, where, "must be a string")
		}
		// The string settings we read, by key; the others only pass to OCB.
		strs := map[string]*string{"name": &m.Dist.Name, "module": &m.Dist.Module, "description": &m.Dist.Description,
			"version": &m.Dist.Version, "output_path": &m.Dist.OutputPath, "build_tags": &m.Dist.BuildTags}
		if p, ok := strs[k.Value]; ok {
			*p = val.Value
		}
		if k.Value == "subprocess_mode" {
			switch val.Value {
			case "auto", "embedded", "subprocess":
				m.SubprocessMode = val.Value
			default:
				return errf(val, where, "%q is not one of auto, embedded, subprocess", val.Value)
			}
		}
	}
	if m.Dist.Name != "" && !regexp.MustCompile(`^[A-Za-z0-9._-]+$`).MatchString(m.Dist.Name) {
		return errf(v, "dist.name", "%q is not a file name", m.Dist.Name)
	}
	return nil
}

func (m *Manifest) parseList(key string, v *yaml.Node, errf errFunc) error {
	if v.Kind != yaml.SequenceNode {
		return errf(v, key, "must be a list of module entries")
	}
	kind := componentLists[key]
	for i, e := range v.Content {
		where := fmt.Sprintf("%s[%d]", key, i)
		if e.Kind != yaml.MappingNode {
			return errf(e, where, "must be a mapping with gomod: or cargo:")
		}
		if hasKey(e, "cargo") {
			c, err := parseCargo(e, where, kind, errf)
			if err != nil {
				return err
			}
			m.Cargo = append(m.Cargo, c)
			continue
		}
		g, err := m.parseGoModule(e, where, kind, errf)
		if err != nil {
			return err
		}
		m.Go = append(m.Go, g)
	}
	return nil
}

func (m *Manifest) parseGoModule(e *yaml.Node, where, kind string, errf errFunc) (GoEntry, error) {
	if err := checkKeys(e, where, goModuleKeys, errf); err != nil {
		return GoEntry{}, err
	}
	g := GoEntry{Where: where, Kind: kind, GoMod: scalar(e, "gomod"), Import: scalar(e, "import")}
	if g.GoMod == "" {
		return GoEntry{}, errf(e, where, "gomod is required (\"<module path> <version>\")")
	}
	if g.Import == "" {
		g.Import = strings.Fields(g.GoMod)[0]
	}
	return g, nil
}

func parseCargo(e *yaml.Node, where, kind string, errf errFunc) (CargoEntry, error) {
	if err := checkKeys(e, where, cargoKeys, errf); err != nil {
		return CargoEntry{}, err
	}
	spec := scalar(e, "cargo")
	if kind == "" || !rustKinds[kind] {
		return CargoEntry{}, errf(e, where, "cargo: %s: Rust components can be receivers, processors or exporters", spec)
	}
	sm := cargoSpecRe.FindStringSubmatch(strings.TrimSpace(spec))
	if sm == nil {
		return CargoEntry{}, errf(e, where, "cargo: %q: want `<crate>` or `<crate> = \"<version>\"`", spec)
	}
	c := CargoEntry{Where: where, Kind: kind, Name: sm[1], Version: sm[2], Path: scalar(e, "path")}
	if v := scalar(e, "version"); v != "" {
		if c.Version != "" {
			return CargoEntry{}, errf(e, where, "cargo: %s: version given twice", c.Name)
		}
		c.Version = v
	}
	if c.Version == "" && c.Path == "" {
		return CargoEntry{}, errf(e, where, "cargo: %s: needs a version (`%s = \"0.1.0\"`) or a path", c.Name, c.Name)
	}
	if c.Version != "" {
		if _, err := parseVersionReq(c.Version); err != nil {
			return CargoEntry{}, errf(e, where, "cargo: %s: %q is not a Cargo version requirement: %v", c.Name, c.Version, err)
		}
	}
	if !crateNameRe.MatchString(c.Name) {
		return CargoEntry{}, errf(e, where, "cargo: %q is not a crate name", c.Name)
	}
	return c, nil
}

// checkDuplicates refuses an entry listed twice: two cargo entries with one
// crate, or two Go entries importing one package in one list.
func (m *Manifest) checkDuplicates() error {
	crates := map[string]CargoEntry{}
	for _, c := range m.Cargo {
		key := RustIdent(c.Name)
		if prev, ok := crates[key]; ok {
			return fmt.Errorf("%s: %s: crate already listed by %s", m.File, c.Label(), prev.Label())
		}
		crates[key] = c
	}
	imports := map[string]GoEntry{}
	for _, g := range m.Go {
		key := g.Kind + " " + g.Import
		if prev, ok := imports[key]; ok && g.Kind != "" {
			return fmt.Errorf("%s: %s: package %s already listed by %s", m.File, g.Label(), g.Import, prev.Label())
		}
		imports[key] = g
	}
	return nil
}

// RustIdent is the name a crate is `use`d by: Cargo maps '-' to '_'.
func RustIdent(crate string) string { return strings.ReplaceAll(crate, "-", "_") }

func checkKeys(n *yaml.Node, where string, allowed map[string]bool, errf errFunc) error {
	if n.Kind != yaml.MappingNode {
		return errf(n, where, "must be a mapping")
	}
	for i := 0; i < len(n.Content); i += 2 {
		k := n.Content[i]
		if !allowed[k.Value] {
			return errf(k, where, "unknown field %q (want one of %s)", k.Value, keysOf(allowed))
		}
	}
	return nil
}

func hasKey(n *yaml.Node, key string) bool {
	for i := 0; i < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return true
		}
	}
	return false
}

func scalar(n *yaml.Node, key string) string {
	for i := 0; i < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1].Value
		}
	}
	return ""
}

func set(keys ...string) map[string]bool {
	m := map[string]bool{}
	for _, k := range keys {
		m[k] = true
	}
	return m
}

func keysOf(m map[string]bool) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}
