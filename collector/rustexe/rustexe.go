// Package rustexe hands out the embedded otelcol-rust executable: verified and
// extracted once per process by extract/, or an operator-chosen binary.
package rustexe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/otelcol-hybrid/otelcol-hybrid/embedbin"
	"github.com/otelcol-hybrid/otelcol-hybrid/extract"
)

// OverrideEnv names an executable to run instead of the embedded one (for
// developing otelcol-rust itself; the embedded, verified binary is the default).
const OverrideEnv = "OTELCOL_HYBRID_RUST_BIN"

// CacheDirEnv overrides where the embedded binary is extracted when it is
// extracted to disk.
const CacheDirEnv = "OTELCOL_HYBRID_CACHE_DIR"

// ExtractEnv overrides Options.Mode: auto, memfd or disk.
const ExtractEnv = "OTELCOL_HYBRID_EXTRACT"

// Options choose how the embedded binary is placed.
type Options struct {
	CacheDir string       // "" = extract's default search
	Mode     extract.Mode // auto: sealed memfd where the kernel allows, else disk cache
}

var (
	mu     sync.Mutex
	cached *Exe
)

// Exe is the executable to spawn. It stays valid for the life of the process:
// config validation and every (re)start of the child share one extraction.
type Exe struct {
	Path     string
	Version  string
	Override bool

	// extraction keeps the memfd (or the shared-locked cache file) open:
	// Path may be /proc/self/fd/N, which lives only as long as that *os.File,
	// and an unreachable one is closed by its finalizer at the next GC.
	extraction *extract.Exe
}

// Get returns the executable, extracting it on first use.
func Get(ctx context.Context, opts Options) (*Exe, error) {
	mu.Lock()
	defer mu.Unlock()
	if cached != nil {
		return cached, nil
	}
	if p := os.Getenv(OverrideEnv); p != "" {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, fmt.Errorf("%s=%s: %w", OverrideEnv, p, err)
		}
		if _, err := os.Stat(abs); err != nil {
			return nil, fmt.Errorf("%s: %w", OverrideEnv, err)
		}
		cached = &Exe{Path: abs, Version: "override", Override: true}
		return cached, nil
	}
	switch os.Getenv(ExtractEnv) {
	case "memfd":
		opts.Mode = extract.ModeMemfd
	case "disk":
		opts.Mode = extract.ModeDisk
	case "auto":
		opts.Mode = extract.ModeAuto
	case "":
	default:
		return nil, fmt.Errorf("%s=%q: want auto, memfd or disk", ExtractEnv, os.Getenv(ExtractEnv))
	}
	m, blob, err := embedbin.Collector()
	if err != nil {
		return nil, err
	}
	exe, err := extract.Executable(ctx, extract.Artifact{
		Name:             "otelcol-rust",
		CompressedSHA256: m.CompressedSHA256,
		RawSHA256:        m.RawSHA256,
		CompressedSize:   m.CompressedSize,
		RawSize:          m.RawSize,
	}, blob, extract.Options{
		Dir: opts.CacheDir, EnvVar: CacheDirEnv, Mode: opts.Mode,
		// The window the blob was compressed with is all the decoder needs:
		// a larger one in a tampered blob is refused, not allocated.
		MaxDecoderMemory: uint64(m.ZstdWindowSize),
	})
	if err != nil {
		return nil, fmt.Errorf("embedded otelcol-rust %s: %w", m.Version, err)
	}
	// Never Closed, and held: the extraction (memfd or shared-locked cache
	// file) must outlive every child we start; the OS releases it when we exit.
	cached = &Exe{Path: exe.Path, Version: m.Version, extraction: exe}
	return cached, nil
}

// Validate runs `otelcol-rust validate` on a Rust half. The config is written
// to a private temporary directory and removed afterwards.
func Validate(ctx context.Context, exe *Exe, rustYAML []byte) error {
	dir, err := os.MkdirTemp("", "otelcol-hybrid-validate-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	file := filepath.Join(dir, "rust.yaml")
	if err := os.WriteFile(file, rustYAML, 0o600); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe.Path, "validate", "--config", file)
	cmd.Env = []string{}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	if err == nil {
		return nil
	}
	msg := strings.TrimSpace(stderr.String())
	// The temp path means nothing to the user: the Rust half is part of their config.
	msg = strings.ReplaceAll(msg, file+": ", "")
	msg = strings.TrimPrefix(msg, "otelcol-rust: ")
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) && msg != "" {
		return fmt.Errorf("Rust half: %s", lastLine(msg)) //nolint:staticcheck // ST1005: "Rust" is a proper noun, shown to the user as is
	}
	return fmt.Errorf("Rust half: running otelcol-rust validate: %w (%s)", err, msg) //nolint:staticcheck // ST1005: as above
}

func lastLine(s string) string {
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
