//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package extract

import (
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// cleanupStale removes leftover temp files and other versions of the
// artifact that no process holds. The caller holds the exclusive
// "<Name>.lock", so no extraction is running. Failures are only logged:
// cleanup is hygiene, never a reason not to start.
func cleanupStale(dir string, a Artifact, opts *Options) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		opts.log("extract: cleanup: cannot list directory", "dir", dir, "reason", err.Error())
		return
	}
	current := a.rawHex()
	versions := map[string]bool{}
	for _, ent := range entries {
		n := ent.Name()
		if strings.HasPrefix(n, tempPrefix(a)) {
			p := filepath.Join(dir, n)
			if err := os.Remove(p); err == nil {
				opts.log("extract: removed leftover of an interrupted extraction", "path", p)
			}
			continue
		}
		if v, ok := versionOf(n, a.Name); ok && v != current {
			versions[v] = true
		}
	}
	for v := range versions {
		bin := filepath.Join(dir, a.Name+"-"+v)
		lock, ok, err := tryLockExisting(bin+".lock", unix.LOCK_EX)
		if err != nil || (!ok && lockExists(bin+".lock")) {
			opts.log("extract: kept older version still in use", "path", bin)
			continue
		}
		// Nobody holds it (or its lock file is gone, so nobody can): remove
		// the binary first, the lock file last, while we hold the lock.
		err = os.RemoveAll(bin)
		if err == nil {
			if rerr := os.Remove(bin + attestSuffix); rerr != nil && !os.IsNotExist(rerr) {
				err = rerr
			}
		}
		if lock != nil {
			if err == nil {
				err = os.Remove(bin + ".lock")
			}
			_ = lock.Close() // closing only drops our lock
		}
		if err != nil {
			// Best effort: a leftover costs disk space, not correctness.
			opts.log("extract: cannot remove unused older version", "path", bin, "reason", err.Error())
			continue
		}
		opts.log("extract: removed unused older version", "path", bin)
	}
}

func lockExists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}
