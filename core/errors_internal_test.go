package sessions

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	gotoken "go/token"
	"slices"
	"strings"
	"testing"
)

// TestIsSessionErrorCoversErrorsGo reads errors.go: every exported error
// variable declared there is in sessionErrors (by name, and once), so
// that IsSessionError cannot forget a new sentinel.
func TestIsSessionErrorCoversErrorsGo(t *testing.T) {
	f, err := parser.ParseFile(gotoken.NewFileSet(), "errors.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var declared, listed []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != gotoken.VAR {
			continue
		}
		for _, spec := range g.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if name.IsExported() && strings.HasPrefix(name.Name, "Err") {
					declared = append(declared, name.Name)
				}
				if name.Name == "sessionErrors" && i < len(vs.Values) {
					for _, el := range vs.Values[i].(*ast.CompositeLit).Elts {
						listed = append(listed, el.(*ast.Ident).Name)
					}
				}
			}
		}
	}
	if len(declared) < 15 {
		t.Fatalf("found %d sentinels in errors.go (%v); the parse went wrong", len(declared), declared)
	}
	slices.Sort(declared)
	slices.Sort(listed)
	if !slices.Equal(declared, listed) {
		t.Errorf("errors.go declares %v\nsessionErrors lists %v", declared, listed)
	}
	if len(sessionErrors) != len(listed) {
		t.Errorf("sessionErrors holds %d errors, its literal names %d", len(sessionErrors), len(listed))
	}
	for i, e := range sessionErrors {
		if !IsSessionError(e) || !IsSessionError(fmt.Errorf("op: %w", e)) {
			t.Errorf("IsSessionError(%v) = false", e)
		}
		if slices.Index(sessionErrors, e) != i {
			t.Errorf("%v is listed twice", e)
		}
	}
}

// TestIsSessionError: wrapped sentinels (once or twice, or joined) are
// session errors; nil, a context error, an error of the same text and a
// plain error are not.
func TestIsSessionError(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{errors.New("app"), false},
		{context.Canceled, false},
		{fmt.Errorf("%w: the client went away", context.Canceled), false},
		{errors.New(ErrNotInteger.Error()), false},
		{ErrNotInteger, true},
		{fmt.Errorf("shop: %w", fmt.Errorf("sessions: key %q: %w", "n", ErrNotInteger)), true},
		{errors.Join(errors.New("app"), ErrLocked), true},
	} {
		if got := IsSessionError(tc.err); got != tc.want {
			t.Errorf("IsSessionError(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
