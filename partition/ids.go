package partition

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The Go collector's own rules (component/identifiable.go, pipeline/pipeline.go
// at v1.68): a type is ASCII [a-zA-Z][0-9a-zA-Z_]{0,62}; a name is 1..1024
// characters without whitespace, control or symbol characters; "type/name" is
// split at the first "/" and both halves are trimmed.
var (
	typeRegexp = regexp.MustCompile(`^[a-zA-Z][0-9a-zA-Z_]{0,62}$`)
	nameRegexp = regexp.MustCompile(`^[^\pZ\pC\pS]+$`)
)

var signals = []string{"traces", "metrics", "logs", "profiles"}

func isSignal(s string) bool {
	for _, x := range signals {
		if x == s {
			return true
		}
	}
	return false
}

// compID is a parsed component id "type[/name]".
type compID struct{ typ, name string }

func (id compID) String() string {
	if id.name == "" {
		return id.typ
	}
	return id.typ + "/" + id.name
}

// withType keeps the name and swaps the type (user-facing ↔ native Rust type).
func (id compID) withType(t string) compID { return compID{typ: t, name: id.name} }

// splitID applies the collector's "type[/name]" parsing without validating the type.
func splitID(s string) (head, name string, err error) {
	head, name, hasName := strings.Cut(s, "/")
	head = strings.TrimSpace(head)
	if head == "" {
		return "", "", fmt.Errorf("id %q: the part before / must not be empty", s)
	}
	if hasName {
		name = strings.TrimSpace(name)
		if name == "" {
			return "", "", fmt.Errorf("id %q: the part after / must not be empty", s)
		}
		if len(name) > 1024 || !nameRegexp.MatchString(name) {
			return "", "", fmt.Errorf("id %q: invalid character(s) in name", s)
		}
	}
	return head, name, nil
}

func parseCompID(s string) (compID, error) {
	typ, name, err := splitID(s)
	if err != nil {
		return compID{}, err
	}
	if !typeRegexp.MatchString(typ) {
		return compID{}, fmt.Errorf("id %q: invalid character(s) in type", s)
	}
	return compID{typ: typ, name: name}, nil
}

// pipeID is a parsed pipeline id "signal[/name]".
type pipeID struct{ signal, name string }

func (id pipeID) String() string {
	if id.name == "" {
		return id.signal
	}
	return id.signal + "/" + id.name
}

func parsePipeID(s string) (pipeID, error) {
	sig, name, err := splitID(s)
	if err != nil {
		return pipeID{}, err
	}
	if !isSignal(sig) {
		return pipeID{}, fmt.Errorf("pipeline %q: unknown signal %q (want traces, metrics, logs or profiles)", s, sig)
	}
	return pipeID{signal: sig, name: name}, nil
}

// q quotes user-supplied text only when needed, so that errors stay on one
// line whatever bytes the config holds, yet plain ids read naturally.
func q(s string) string {
	if s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return r <= ' ' || r == '"' || r == '\\' || r >= 0x7f
	}) {
		return s
	}
	return strconv.Quote(s)
}

func sortStrings(s []string) { slices.Sort(s) }
