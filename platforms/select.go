package platforms

import (
	"fmt"
	"strings"
)

// Select resolves the PLATFORMS argument of the Makefile: "host", "all", or a
// space/comma separated list of "goos/goarch" (or "goos_goarch"). The result
// follows table order and has no duplicates.
func Select(spec string) ([]Platform, error) {
	words := strings.FieldsFunc(spec, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' || r == '\n' })
	if len(words) == 0 {
		return nil, fmt.Errorf("platforms: empty selection (want host, all or goos/goarch ...)")
	}
	want := map[string]bool{}
	for _, w := range words {
		switch w {
		case "all":
			for _, p := range table {
				want[p.String()] = true
			}
		case "host":
			p, ok := Host()
			if !ok {
				return nil, fmt.Errorf("platforms: host is not in the platform table")
			}
			want[p.String()] = true
		default:
			goos, goarch, ok := strings.Cut(strings.Replace(w, "_", "/", 1), "/")
			if !ok {
				return nil, fmt.Errorf("platforms: %q is not goos/goarch", w)
			}
			p, ok := Lookup(goos, goarch)
			if !ok {
				return nil, fmt.Errorf("platforms: %q is not in the platform table (platforms/platforms.go)", w)
			}
			want[p.String()] = true
		}
	}
	var out []Platform
	for _, p := range table {
		if want[p.String()] {
			out = append(out, p)
		}
	}
	return out, nil
}
