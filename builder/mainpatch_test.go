package builder

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/template"
)

// ocbTemplate is a real template of the pinned OCB, from the module cache
// (where `make test` puts it when installing OCB).
func ocbTemplate(t *testing.T, name string) string {
	home, _ := os.UserHomeDir()
	gomodcache := os.Getenv("GOMODCACHE")
	if gomodcache == "" {
		gomodcache = filepath.Join(home, "go", "pkg", "mod")
	}
	b, err := os.ReadFile(filepath.Join(gomodcache, "go.opentelemetry.io/collector/cmd/builder@v0.162.0/internal/builder/templates", name))
	if err != nil {
		t.Skip("OCB v0.162.0 not in the module cache:", err)
	}
	return string(b)
}

func TestPatchMainOnOCBTemplate(t *testing.T) {
	tmpl := template.Must(template.New("main").Parse(ocbTemplate(t, "main.go.tmpl")))
	var sb strings.Builder
	data := map[string]any{
		"Distribution":      map[string]string{"Name": "otelcol-x", "Description": "d", "Version": "1.2.3"},
		"ConfmapProviders":  []map[string]string{{"Name": "fileprovider", "Import": "go.opentelemetry.io/collector/confmap/provider/fileprovider", "GoMod": "m v1"}},
		"ConfmapConverters": []map[string]string{},
		"ConfResolver":      map[string]string{"DefaultURIScheme": ""},
	}
	if err := tmpl.Execute(&sb, data); err != nil {
		t.Fatal(err)
	}
	out, err := PatchMain([]byte(sb.String()))
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, want := range []string{
		`"` + HybridModule + `/collector"`,
		"cmd := collector.NewCommand(params)",
		"Version:     version,",
		`var version = "1.2.3"`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("patched main lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "otelcol.NewCommand") {
		t.Errorf("otelcol.NewCommand left:\n%s", s)
	}
}

func TestPatchMainRefusesUnknownShape(t *testing.T) {
	_, err := PatchMain([]byte("package main\n\nfunc main() {}\n"))
	if err == nil || !strings.Contains(err.Error(), "found 0 calls of otelcol.NewCommand") {
		t.Errorf("error = %v", err)
	}
}

func TestPatchWindowsMainOnOCBTemplate(t *testing.T) {
	out, err := PatchWindowsMain([]byte(ocbTemplate(t, "main_windows.go.tmpl")))
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	if !strings.Contains(s, "collector.NewSvcHandler(params)") || !strings.Contains(s, `"`+HybridModule+`/collector"`) || strings.Contains(s, "otelcol.NewSvcHandler") {
		t.Errorf("patched main_windows.go:\n%s", s)
	}
	if _, err := PatchWindowsMain([]byte("//go:build windows\n\npackage main\n")); err == nil || !strings.Contains(err.Error(), "found 0 calls of otelcol.NewSvcHandler") {
		t.Errorf("unknown shape: %v", err)
	}
}
