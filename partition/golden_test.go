package partition

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "rewrite testdata/*/go.yaml, rust.yaml and placements.txt from the current output")

// goldenOptions reads testdata/<case>/options.yaml if present
// ({transport: tcp} for the loopback variant, {receiver_placement: false}
// for the off switch).
func goldenOptions(t *testing.T, dir string) Options {
	opts := testOptions()
	raw, err := os.ReadFile(filepath.Join(dir, "options.yaml"))
	if os.IsNotExist(err) {
		return opts
	}
	if err != nil {
		t.Fatal(err)
	}
	var o struct {
		Transport         string
		ReceiverPlacement *bool `yaml:"receiver_placement"`
		InProcess         bool  `yaml:"in_process"`
	}
	if err := yaml.Unmarshal(raw, &o); err != nil {
		t.Fatalf("%s/options.yaml: %v", dir, err)
	}
	if o.ReceiverPlacement != nil {
		opts.KeepReceiversInGo = !*o.ReceiverPlacement
	}
	opts.InProcess = o.InProcess
	if o.Transport == transportTCP {
		opts.Transport = transportTCP
		opts.TCPAddr = func(n int) (string, error) { return fmt.Sprintf("127.0.0.1:%d", 40000+n), nil }
	}
	return opts
}

func loadYAML(t testing.TB, path string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// TestGolden partitions every testdata/<case>/input.yaml, compares both halves
// and the placement lines byte for byte with the checked-in files, and checks
// the composition property on each, so a golden file can never bless a wrong
// split.
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob("testdata/*/input.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 12 {
		t.Fatalf("want at least 12 golden topologies, found %d", len(dirs))
	}
	cat := testCatalog(t)
	for _, in := range dirs {
		dir := filepath.Dir(in)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			user := loadYAML(t, in)
			res, err := Partition(user, cat, goldenOptions(t, dir))
			if err != nil {
				t.Fatalf("Partition: %v", err)
			}
			if err := checkComposition(user, res, cat); err != nil {
				t.Fatalf("composition: %v", err)
			}
			goYAML, rustYAML, err := res.YAML()
			if err != nil {
				t.Fatal(err)
			}
			compareGolden(t, filepath.Join(dir, "go.yaml"), goYAML)
			compareGolden(t, filepath.Join(dir, "rust.yaml"), rustYAML)
			var lines []byte
			for _, p := range res.Placements {
				lines = append(lines, p.String()+"\n"...)
			}
			compareGolden(t, filepath.Join(dir, "placements.txt"), lines)
		})
	}
}

// compareGolden treats a nil want as "the file must not exist".
func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if got == nil {
			if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			return
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	switch {
	case got == nil && os.IsNotExist(err):
		return
	case got == nil:
		t.Fatalf("%s exists but the partition has no such half (run with -update)", path)
	case err != nil:
		t.Fatalf("%v (run with -update)", err)
	case !bytes.Equal(got, want):
		t.Fatalf("%s differs (run with -update to accept):\n--- got ---\n%s", path, got)
	}
}
