package builder

import (
	"fmt"
	"strconv"
	"strings"
)

// Cargo's version requirements (the semver crate's rules), so a manifest's
// `cargo: <crate> = "<requirement>"` is checked against the crates we ship
// with the meaning cargo gives it: comma-separated comparators, each
// `^` (the default), `~`, `=`, `>`, `>=`, `<`, `<=` or a `*` wildcard, on a
// full or partial version. A pre-release version matches only a requirement
// naming a pre-release of the same major.minor.patch.

type semver struct {
	major, minor, patch uint64
	pre                 []string
}

func parseSemver(s string) (semver, error) {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "+") // build metadata does not order
	core, pre, hasPre := strings.Cut(s, "-")
	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return semver{}, fmt.Errorf("%q is not a version (major.minor.patch)", s)
	}
	var n [3]uint64
	for i, p := range parts {
		v, err := strconv.ParseUint(p, 10, 64)
		if err != nil {
			return semver{}, fmt.Errorf("%q is not a version (major.minor.patch)", s)
		}
		n[i] = v
	}
	v := semver{major: n[0], minor: n[1], patch: n[2]}
	if hasPre {
		if pre == "" {
			return semver{}, fmt.Errorf("%q has an empty pre-release", s)
		}
		v.pre = strings.Split(pre, ".")
	}
	return v, nil
}

func (v semver) String() string {
	s := fmt.Sprintf("%d.%d.%d", v.major, v.minor, v.patch)
	if len(v.pre) > 0 {
		s += "-" + strings.Join(v.pre, ".")
	}
	return s
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// compare orders versions as SemVer 2.0 does: a pre-release sorts before its
// release; numeric identifiers compare as numbers and before alphanumeric ones.
func (v semver) compare(o semver) int {
	for _, c := range []int{cmpUint(v.major, o.major), cmpUint(v.minor, o.minor), cmpUint(v.patch, o.patch)} {
		if c != 0 {
			return c
		}
	}
	switch {
	case len(v.pre) == 0 && len(o.pre) == 0:
		return 0
	case len(v.pre) == 0:
		return 1
	case len(o.pre) == 0:
		return -1
	}
	for i := 0; i < len(v.pre) && i < len(o.pre); i++ {
		a, aErr := strconv.ParseUint(v.pre[i], 10, 64)
		b, bErr := strconv.ParseUint(o.pre[i], 10, 64)
		var c int
		switch {
		case aErr == nil && bErr == nil:
			c = cmpUint(a, b)
		case aErr == nil:
			c = -1
		case bErr == nil:
			c = 1
		default:
			c = strings.Compare(v.pre[i], o.pre[i])
		}
		if c != 0 {
			return c
		}
	}
	return cmpUint(uint64(len(v.pre)), uint64(len(o.pre)))
}

// comparator is one `op partial-version`; minor and patch may be absent
// (nil), as in `^1` or `~1.2`.
type comparator struct {
	op           string // "=", ">", ">=", "<", "<=", "~", "^", "*"
	major        uint64
	minor, patch *uint64
	pre          []string
}

// versionReq is a parsed requirement: every comparator must match.
type versionReq []comparator

func parseVersionReq(s string) (versionReq, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("empty version requirement")
	}
	if s == "*" {
		return versionReq{{op: "*"}}, nil
	}
	var req versionReq
	for _, part := range strings.Split(s, ",") {
		c, err := parseComparator(strings.TrimSpace(part))
		if err != nil {
			return nil, err
		}
		req = append(req, c)
	}
	return req, nil
}

func parseComparator(s string) (comparator, error) {
	c := comparator{op: "^"}
	for _, op := range []string{">=", "<=", "=", ">", "<", "~", "^"} {
		if rest, ok := strings.CutPrefix(s, op); ok {
			c.op, s = op, strings.TrimSpace(rest)
			break
		}
	}
	core, pre, hasPre := strings.Cut(s, "-")
	parts := strings.Split(core, ".")
	if core == "" || len(parts) > 3 {
		return comparator{}, fmt.Errorf("%q is not a version requirement", s)
	}
	wild := false
	for i, p := range parts {
		if p == "*" || p == "x" || p == "X" {
			if i == 0 {
				return comparator{}, fmt.Errorf("%q: a wildcard major version stands alone (`*`)", s)
			}
			wild = true
			continue
		}
		if wild {
			return comparator{}, fmt.Errorf("%q: nothing may follow a wildcard", s)
		}
		n, err := strconv.ParseUint(p, 10, 64)
		if err != nil {
			return comparator{}, fmt.Errorf("%q is not a version requirement", s)
		}
		switch i {
		case 0:
			c.major = n
		case 1:
			c.minor = &n
		case 2:
			c.patch = &n
		}
	}
	if wild {
		if c.op != "^" || hasPre {
			return comparator{}, fmt.Errorf("%q: a wildcard takes no operator or pre-release", s)
		}
		c.op = "=" // 1.* is =1, 1.2.* is =1.2
	}
	if hasPre {
		if c.patch == nil || pre == "" {
			return comparator{}, fmt.Errorf("%q: a pre-release needs a full major.minor.patch", s)
		}
		c.pre = strings.Split(pre, ".")
	}
	return c, nil
}

// Matches reports whether v meets every comparator.
func (r versionReq) Matches(v semver) bool {
	for _, c := range r {
		if !c.matches(v) {
			return false
		}
	}
	if len(v.pre) == 0 {
		return true
	}
	// A pre-release only when a comparator names one of the same release.
	for _, c := range r {
		if len(c.pre) > 0 && c.major == v.major && *c.minor == v.minor && *c.patch == v.patch {
			return true
		}
	}
	return false
}

func (c comparator) lower() semver {
	v := semver{major: c.major, pre: c.pre}
	if c.minor != nil {
		v.minor = *c.minor
	}
	if c.patch != nil {
		v.patch = *c.patch
	}
	return v
}

func (c comparator) matches(v semver) bool {
	lo := c.lower()
	// The first version past the partial one (=1.2 covers 1.2.x: next is 1.3.0).
	next := func() semver {
		switch {
		case c.minor == nil:
			return semver{major: c.major + 1}
		case c.patch == nil:
			return semver{major: c.major, minor: *c.minor + 1}
		}
		return semver{major: c.major, minor: *c.minor, patch: *c.patch + 1, pre: []string{"0"}}
	}
	in := func(from, to semver) bool { return v.compare(from) >= 0 && v.compare(to) < 0 }
	switch c.op {
	case "*":
		return true
	case "=":
		if c.patch != nil {
			return v.compare(lo) == 0
		}
		return in(lo, next())
	case ">":
		if c.patch != nil {
			return v.compare(lo) > 0
		}
		return v.compare(next()) >= 0
	case ">=":
		return v.compare(lo) >= 0
	case "<":
		return v.compare(lo) < 0
	case "<=":
		if c.patch != nil {
			return v.compare(lo) <= 0
		}
		return v.compare(next()) < 0
	case "~":
		if c.minor == nil {
			return in(lo, semver{major: c.major + 1})
		}
		return in(lo, semver{major: c.major, minor: *c.minor + 1})
	}
	// ^: the leftmost non-zero part given may not change.
	switch {
	case c.major > 0 || c.minor == nil:
		return in(lo, semver{major: c.major + 1})
	case *c.minor > 0 || c.patch == nil:
		return in(lo, semver{minor: *c.minor + 1})
	}
	return in(lo, semver{patch: *c.patch + 1})
}
