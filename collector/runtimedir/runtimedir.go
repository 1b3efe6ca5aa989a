// Package runtimedir chooses and manages the private per-process directory that
// holds the bridge sockets and the Rust half's generated config.
//
// The path is decided when the config is converted (the Go bridge exporters
// need the socket paths) but the directory is only created when the
// subprocess extension starts, so `validate` and `partition` leave nothing behind.
package runtimedir

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// EnvVar overrides the base directory under which the per-process directory is made.
const EnvVar = "OTELCOL_HYBRID_RUNTIME_DIR"

// Prefix starts the name of every per-process directory; the rest is "<pid>-<random>".
const Prefix = "otelcol-hybrid-"

// maxSocketName is the longest socket file name the partitioner creates
// ("b9999.sock"); sun_path is 104 bytes on macOS (108 on Linux) with the NUL.
const (
	maxSocketName = len("/b9999.sock")
	sunPathMax    = 104 - 1
)

var (
	once sync.Once
	path string
)

// Path is this process's runtime directory. It is stable for the life of the
// process so that a config reload produces the same socket paths.
func Path() string {
	once.Do(func() { path = choose(os.Getenv) })
	return path
}

func choose(getenv func(string) string) string {
	var token [4]byte
	_, _ = rand.Read(token[:])
	name := fmt.Sprintf("%s%d-%s", Prefix, os.Getpid(), hex.EncodeToString(token[:]))
	for _, base := range []string{getenv(EnvVar), getenv("XDG_RUNTIME_DIR"), getenv("TMPDIR"), "/tmp"} {
		if base == "" {
			continue
		}
		p := filepath.Join(base, name)
		if len(p)+maxSocketName <= sunPathMax {
			return p
		}
	}
	// Even /tmp is fine on every unix; keep the choice total.
	return filepath.Join(os.TempDir(), name)
}

// Create makes dir with mode 0700. A leftover with the same name (a config
// reload in this process) is removed first; anything that is not a directory
// owned by us is refused.
func Create(dir string) error {
	if fi, err := os.Lstat(dir); err == nil {
		if !fi.IsDir() || fi.Mode()&os.ModeSymlink != 0 {
			return fmt.Errorf("runtime dir %s exists and is not a directory", dir)
		}
		if uid, ok := owner(fi); ok && uid != os.Getuid() {
			return fmt.Errorf("runtime dir %s exists and is owned by uid %d, not %d", dir, uid, os.Getuid())
		}
		if err := os.RemoveAll(dir); err != nil {
			return fmt.Errorf("runtime dir %s: removing leftover: %w", dir, err)
		}
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		return fmt.Errorf("runtime dir: %w", err)
	}
	// Mkdir honours the umask; make the mode exact.
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("runtime dir: %w", err)
	}
	return nil
}

// SweepStale removes runtime directories next to dir that belong to processes
// of ours that no longer exist (a parent killed with SIGKILL cannot clean up).
func SweepStale(dir string) (removed []string) {
	base := filepath.Dir(dir)
	entries, err := os.ReadDir(base)
	if err != nil {
		return nil
	}
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || !strings.HasPrefix(name, Prefix) || filepath.Join(base, name) == dir {
			continue
		}
		pidStr, _, ok := strings.Cut(strings.TrimPrefix(name, Prefix), "-")
		pid, err := strconv.Atoi(pidStr)
		if !ok || err != nil || pid <= 0 || alive(pid) {
			continue
		}
		full := filepath.Join(base, name)
		fi, err := os.Lstat(full)
		if err != nil {
			continue
		}
		if uid, ok := owner(fi); !ok || uid != os.Getuid() {
			continue
		}
		if os.RemoveAll(full) == nil {
			removed = append(removed, full)
		}
	}
	return removed
}
