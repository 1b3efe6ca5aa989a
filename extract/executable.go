package extract

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Executable verifies blob against a, decompresses it and places the
// executable where it can be exec'd: a sealed memfd (Linux, ModeAuto or
// ModeMemfd) or the private content-addressed disk cache. The returned Exe
// must be closed once the executable is no longer needed.
//
// Errors about the bytes themselves (checksum mismatch, corrupt or oversized
// blob) are returned at once: no other location would help. Errors about a
// location (noexec, unsafe directory, disk full) move on to the next
// candidate; if none works the error lists every candidate and why.
func Executable(ctx context.Context, a Artifact, blob []byte, opts Options) (*Exe, error) {
	if err := a.validate(); err != nil {
		return nil, err
	}
	if err := checkCompressedSize(a, blob); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("extract: %s: %w", a.Name, err)
	}

	var tried []attempt
	if opts.Mode != ModeDisk {
		e, err := placeMemfd(a, blob, &opts)
		if err == nil {
			return e, nil
		}
		if opts.Mode == ModeMemfd || isContentError(err) {
			return nil, err
		}
		opts.log("extract: fell back from memfd to disk", "name", a.Name, "reason", err.Error())
		tried = append(tried, attempt{"memfd", err})
	}

	for _, dir := range locations(a, &opts) {
		e, err := placeDisk(ctx, a, blob, dir, &opts)
		if err == nil {
			return e, nil
		}
		if isContentError(err) || ctx.Err() != nil {
			return nil, err
		}
		opts.log("extract: skipped location", "name", a.Name, "dir", dir, "reason", err.Error())
		tried = append(tried, attempt{dir, err})
	}
	return nil, noLocation(a.Name, tried)
}

// isContentError tells errors about the bytes (fatal everywhere) from
// errors about one location (try the next).
func isContentError(err error) bool {
	var ce *ChecksumError
	var de *contentError
	return errors.As(err, &ce) || errors.As(err, &de)
}

// contentError wraps a decode failure that is the blob's fault.
type contentError struct{ err error }

func (e *contentError) Error() string { return e.err.Error() }
func (e *contentError) Unwrap() error { return e.err }

// locations returns the disk cache directories to try, in order. An explicit
// Dir or environment override is the only candidate: the user asked for it.
func locations(a Artifact, opts *Options) []string {
	if opts.hooks != nil && opts.hooks.candidates != nil {
		return opts.hooks.candidates
	}
	if opts.Dir != "" {
		return []string{absOrSame(opts.Dir)}
	}
	if opts.EnvVar != "" {
		if v := os.Getenv(opts.EnvVar); v != "" {
			return []string{absOrSame(v)}
		}
	}
	// Per-user subdirectory: shared roots like /tmp hold other users' dirs.
	sub := fmt.Sprintf("%s-%d", a.Name, os.Geteuid())
	var roots []string
	if x := os.Getenv("XDG_RUNTIME_DIR"); x != "" && filepath.IsAbs(x) {
		roots = append(roots, x)
	}
	roots = append(roots, os.TempDir())
	if c, err := os.UserCacheDir(); err == nil {
		roots = append(roots, c)
	}
	var out []string
	seen := map[string]bool{}
	for _, r := range roots {
		d := filepath.Join(absOrSame(r), sub)
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}

// absOrSame makes a path absolute so Exe.Path does not depend on the
// working directory at exec time.
func absOrSame(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
