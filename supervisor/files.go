package supervisor

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// checkConfigFile refuses a config other users could read: it may carry
// endpoints and headers with credentials.
func checkConfigFile(path string) error {
	if path == "" {
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("supervisor: config file: %w", err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("supervisor: config file %s has mode %04o; want 0600", path, fi.Mode().Perm())
	}
	return nil
}

// removeStaleSocket deletes a leftover socket file so the next child can
// bind; it never touches anything that is not a socket.
func removeStaleSocket(path string) {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSocket != 0 {
		_ = os.Remove(path)
	}
}

// cleanupFiles removes the config file, the health socket, every *.sock in
// the runtime dir and CleanupPaths. Missing files are fine.
func cleanupFiles(cfg *Config, ep endpoint) error {
	paths := append([]string(nil), cfg.CleanupPaths...)
	if cfg.ConfigFile != "" {
		paths = append(paths, cfg.ConfigFile)
	}
	if ep.network == "unix" {
		paths = append(paths, ep.address)
	}
	if cfg.Dir != "" {
		socks, _ := filepath.Glob(filepath.Join(cfg.Dir, "*.sock"))
		paths = append(paths, socks...)
	}
	var errs []error
	for _, p := range paths {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("supervisor: cleanup: %w", err))
		}
	}
	return errors.Join(errs...)
}
