package builder

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"strconv"
)

// collectorPkg provides NewCommand: otelcol.NewCommand plus the partitioning
// converter, the runtime-aware `components` and the `partition` subcommand.
const collectorPkg = HybridModule + "/collector"

// PatchMain turns OCB's generated main.go into ours: the command comes from
// collector.NewCommand instead of otelcol.NewCommand, and the version string
// becomes `var version` so releases can set it with -X main.version=….
// It works on the syntax tree, so an OCB template change that removes the
// call fails loudly here instead of silently building a collector without
// the Rust half.
func PatchMain(src []byte) ([]byte, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "main.go", src, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("OCB main.go: %w", err)
	}
	calls := redirectCalls(f, "NewCommand")
	var version *ast.BasicLit
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.KeyValueExpr:
			if k, ok := n.Key.(*ast.Ident); ok && k.Name == "Version" {
				if lit, ok := n.Value.(*ast.BasicLit); ok && lit.Kind == token.STRING && version == nil {
					version = lit
					n.Value = ast.NewIdent("version")
				}
			}
		}
		return true
	})
	if calls != 1 {
		return nil, fmt.Errorf("OCB main.go: found %d calls of otelcol.NewCommand, want 1 (OCB template changed?)", calls)
	}
	if version == nil {
		return nil, fmt.Errorf("OCB main.go: no BuildInfo Version literal (OCB template changed?)")
	}
	addImport(f, collectorPkg)
	var buf bytes.Buffer
	if err := format.Node(&buf, fset, f); err != nil {
		return nil, err
	}
	v, _ := strconv.Unquote(version.Value)
	fmt.Fprintf(&buf, "\n// version is set at release time with -ldflags \"-X main.version=…\".\nvar version = %q\n", v)
	return format.Source(buf.Bytes())
}

// PatchWindowsMain turns OCB's main_windows.go into ours: the Windows
// service handler comes from collector.NewSvcHandler, which installs the same
// partitioning converter as collector.NewCommand.
func PatchWindowsMain(src []byte) ([]byte, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "main_windows.go", src, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("OCB main_windows.go: %w", err)
	}
	if calls := redirectCalls(f, "NewSvcHandler"); calls != 1 {
		return nil, fmt.Errorf("OCB main_windows.go: found %d calls of otelcol.NewSvcHandler, want 1 (OCB template changed?)", calls)
	}
	addImport(f, collectorPkg)
	var buf bytes.Buffer
	if err := format.Node(&buf, fset, f); err != nil {
		return nil, err
	}
	return format.Source(buf.Bytes())
}

// redirectCalls rewrites every otelcol.<fn>(…) into collector.<fn>(…) and
// returns how many there were.
func redirectCalls(f *ast.File, fn string) int {
	calls := 0
	ast.Inspect(f, func(n ast.Node) bool {
		if c, ok := n.(*ast.CallExpr); ok {
			if sel, ok := c.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == fn {
				if id, ok := sel.X.(*ast.Ident); ok && id.Name == "otelcol" {
					id.Name = "collector"
					calls++
				}
			}
		}
		return true
	})
	return calls
}

func addImport(f *ast.File, path string) {
	spec := &ast.ImportSpec{Path: &ast.BasicLit{Kind: token.STRING, Value: strconv.Quote(path)}}
	for _, d := range f.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.IMPORT {
			g.Specs = append(g.Specs, spec)
			if !g.Lparen.IsValid() {
				g.Lparen = g.Pos()
			}
			return
		}
	}
	f.Decls = append([]ast.Decl{&ast.GenDecl{Tok: token.IMPORT, Specs: []ast.Spec{spec}}}, f.Decls...)
}
