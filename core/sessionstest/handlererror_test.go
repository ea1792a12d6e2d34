package sessionstest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
	"testing"
)

// TestSentinelsCoverErrorsGo: the kit's handler-error check names every
// sentinel the core declares in errors.go.
func TestSentinelsCoverErrorsGo(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "../errors.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	ast.Inspect(f, func(node ast.Node) bool {
		if vs, ok := node.(*ast.ValueSpec); ok {
			for _, name := range vs.Names {
				if name.IsExported() && strings.HasPrefix(name.Name, "Err") {
					n++
					if _, ok := sentinels[name.Name]; !ok {
						t.Errorf("errors.go declares %s; the kit's sentinels do not name it", name.Name)
					}
				}
			}
		}
		return true
	})
	if n != len(sentinels) {
		t.Errorf("errors.go declares %d sentinels, the kit names %d", n, len(sentinels))
	}
}
