package partition

import (
	"os"
	"path/filepath"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestWriteFiles(t *testing.T) {
	cat := testCatalog(t)
	dir := t.TempDir()
	mixed, err := Partition(loadYAML(t, "testdata/shared_receivers/input.yaml"), cat, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteFiles(mixed, dir); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"go.yaml", "rust.yaml"} {
		p := filepath.Join(dir, name)
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", name, st.Mode().Perm())
		}
		// What was written reads back as the same config (key order aside).
		var back map[string]any
		raw, _ := os.ReadFile(p)
		if err := yaml.Unmarshal(raw, &back); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := mixed.Go
		if name == "rust.yaml" {
			want = mixed.Rust
		}
		if mustYAML(back) != mustYAML(want) {
			t.Errorf("%s does not read back as the partitioned config", name)
		}
	}

	// An all-Go result removes the stale rust.yaml and leaves no temp files.
	allGo, err := Partition(loadYAML(t, "testdata/all_go/input.yaml"), cat, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteFiles(allGo, dir); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "go.yaml" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("dir holds %v, want only go.yaml", names)
	}

	if err := WriteFiles(allGo, filepath.Join(dir, "missing")); err == nil {
		t.Fatal("writing into a missing directory must fail")
	}
}
