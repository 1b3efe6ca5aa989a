package builder

import (
	"fmt"
	"os"
	"regexp"
	"strings"
)

// tomlDoc is a line-level view of a Cargo.toml: enough for the workspace
// files we generate from (one-line entries, no multi-line inline tables). A
// full TOML parser would be a new dependency for reading a few keys.
type tomlDoc struct {
	order    []string
	sections map[string][]string // "[workspace.dependencies]" → its lines, as written
}

var (
	tomlHeaderRe = regexp.MustCompile(`^\s*\[\[?([^\]]+)\]\]?\s*(#.*)?$`)
	tomlKeyRe    = regexp.MustCompile(`^\s*([A-Za-z0-9_.-]+)\s*=\s*(.*?)\s*$`)
	tomlStrRe    = regexp.MustCompile(`^"([^"]*)"`)
	tomlPathRe   = regexp.MustCompile(`path\s*=\s*"([^"]*)"`)
)

func readToml(file string) (*tomlDoc, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	d := &tomlDoc{sections: map[string][]string{}}
	cur := ""
	d.order = append(d.order, cur)
	for _, line := range strings.Split(string(data), "\n") {
		if m := tomlHeaderRe.FindStringSubmatch(line); m != nil && !strings.HasPrefix(strings.TrimSpace(line), "#") {
			cur = strings.TrimSpace(line)
			if _, ok := d.sections[cur]; !ok {
				d.order = append(d.order, cur)
			}
			continue
		}
		d.sections[cur] = append(d.sections[cur], line)
	}
	return d, nil
}

// value is the raw right-hand side of key in section ("" if absent).
func (d *tomlDoc) value(section, key string) string {
	for _, l := range d.sections[section] {
		if m := tomlKeyRe.FindStringSubmatch(l); m != nil && m[1] == key {
			return m[2]
		}
	}
	return ""
}

// str is a string value without its quotes.
func (d *tomlDoc) str(section, key string) string {
	if m := tomlStrRe.FindStringSubmatch(d.value(section, key)); m != nil {
		return m[1]
	}
	return ""
}

// keys lists the keys of a section in order, `x.workspace = true` as "x".
func (d *tomlDoc) keys(section string) []string {
	var out []string
	for _, l := range d.sections[section] {
		if m := tomlKeyRe.FindStringSubmatch(l); m != nil {
			out = append(out, strings.TrimSuffix(m[1], ".workspace"))
		}
	}
	return out
}

// crateInfo reads a crate's package name and version; `version.workspace =
// true` takes the workspace's.
func crateInfo(cargoToml, workspaceVersion string) (name, version string, err error) {
	d, err := readToml(cargoToml)
	if err != nil {
		return "", "", err
	}
	name = d.str("[package]", "name")
	if name == "" {
		return "", "", fmt.Errorf("%s has no [package] name", cargoToml)
	}
	version = d.str("[package]", "version")
	if version == "" && d.value("[package]", "version.workspace") == "true" {
		version = workspaceVersion
	}
	return name, version, nil
}

// versionMatches checks a crate's version against a manifest's Cargo
// requirement (semver.go); known is false when either does not parse, and
// cargo then has the last word.
func versionMatches(req, have string) (ok, known bool) {
	r, err := parseVersionReq(req)
	if err != nil {
		return false, false
	}
	v, err := parseSemver(have)
	if err != nil {
		return false, false
	}
	return r.Matches(v), true
}
