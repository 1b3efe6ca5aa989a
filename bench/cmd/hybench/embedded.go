package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// The embedded build (bin/otelcol-hybrid-embedded): its start-up, and the
// crossing's own costs measured by embedded/ffi's TestFFIFiguresJSON. Its
// CPU per item comes from the "embedded" load scenario, the hybrid
// scenario's config run by the embedded binary.

// measureEmbeddedStart: exec → "Everything is ready" of the hybrid
// scenario's config (one crossing) in the embedded binary, median of runs.
func measureEmbeddedStart(bin, work string, sk *sink, runs int) (float64, error) {
	hybrid := scenarios()[1]
	var all []float64
	for range runs {
		dir, err := os.MkdirTemp(work, "estart-")
		if err != nil {
			return math.NaN(), err
		}
		cfg := filepath.Join(dir, "config.yaml")
		if err := os.WriteFile(cfg, []byte(hybrid.Config(freePort(), sk.addr)), 0o600); err != nil {
			return math.NaN(), err
		}
		p, err := startCollector(bin, cfg, []string{"OTELCOL_HYBRID_RUNTIME_DIR=" + dir}, 30*time.Second)
		if err != nil {
			return math.NaN(), err
		}
		all = append(all, float64(p.readyAt)/1e6)
		p.stop()
	}
	return medianF(all), nil
}

// ffiFigures runs embedded/ffi's figures test (cgo, otelcol_embedded tag,
// the object `make ffi` wrote) and returns what it measured.
func ffiFigures(root, work string) (map[string]float64, error) {
	out := filepath.Join(work, "ffi_figures.json")
	obj := filepath.Join(root, "build/ffi/otelcol_ffi.o")
	f, err := os.Open(obj)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (make ffi builds it)", obj, err)
	}
	h := sha256.New()
	_, err = io.Copy(h, f)
	_ = f.Close()
	if err != nil {
		return nil, err
	}
	// The object's hash makes Go relink when it changed (see mk/embedded.mk).
	ldflags := "-X=github.com/otelcol-hybrid/otelcol-hybrid/embedded/ffi.LinkedObject=" + hex.EncodeToString(h.Sum(nil))
	cmd := exec.Command("go", "test", "-count=1", "-tags=otelcol_embedded", "-ldflags="+ldflags,
		"-run", "^TestFFIFiguresJSON$", "./embedded/ffi/")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1", "FFI_FIGURES_OUT="+out)
	var outBuf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &outBuf, &outBuf
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go test embedded/ffi: %w: %s", err, firstLines(outBuf.String(), 20))
	}
	b, err := os.ReadFile(out)
	if err != nil {
		return nil, err
	}
	m := map[string]float64{}
	return m, json.Unmarshal(b, &m)
}
