package extract

import (
	"fmt"
	"strings"
)

// ChecksumError reports bytes that do not match the digest recorded at build
// time. Nothing derived from them is ever executed.
type ChecksumError struct {
	What string // "compressed blob", "decompressed executable", "cached file /path"
	Name string
	Want string
	Got  string
}

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("extract: %s: checksum mismatch for %s: want sha256 %s, got %s", e.Name, e.What, strings.ToLower(e.Want), e.Got)
}

// attempt is one candidate that was tried and why it failed, for the final
// error message.
type attempt struct {
	where string
	err   error
}

// NoLocationError lists every placement tried and why each failed.
type NoLocationError struct {
	Name     string
	Attempts []string // "where: why"
}

func (e *NoLocationError) Error() string {
	return fmt.Sprintf("extract: %s: no usable location for the executable; tried: %s", e.Name, strings.Join(e.Attempts, "; "))
}

func noLocation(name string, as []attempt) error {
	e := &NoLocationError{Name: name}
	for _, a := range as {
		msg := a.err.Error()
		if !strings.Contains(msg, a.where) { // most messages already name their path
			msg = a.where + ": " + msg
		}
		e.Attempts = append(e.Attempts, msg)
	}
	return e
}
