package contract_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// programs are the example programs under test: the directories under
// examples/ holding a main package. Adding a program is adding its line.
var programs = []string{
	"nethttp",
	"gin",
	"echo",
	"echov5",
	"fiber",
	"fiberv3",
	"chi",
}

// moduleRoot is the examples module's directory, seen from this package.
const moduleRoot = "../.."

// modulePath is the examples module's path.
const modulePath = "github.com/gosessions/sessions/examples"

// binDir holds the programs, built once by TestMain.
var binDir string

// buildFlags are added to go build; race_test.go adds -race when the test
// itself runs under the race detector, so the programs do too.
var buildFlags []string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "examples-contract-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	if err := buildPrograms(); err != nil {
		fmt.Fprintln(os.Stderr, "building the programs:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildPrograms builds every program of the table into binDir, in one go
// build (which builds them in parallel), each binary named for its
// directory.
func buildPrograms() error {
	args := append([]string{"build", "-o", binDir + string(filepath.Separator)}, buildFlags...)
	for _, p := range programs {
		args = append(args, "./"+p)
	}
	build := exec.Command("go", args...)
	build.Dir = moduleRoot
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	return build.Run()
}

// binary returns the path of the built program.
func binary(prog string) string { return filepath.Join(binDir, filepath.Base(prog)) }

// TestProgramsTable checks that the table names exactly the main packages
// of the examples module, so that a new program is tested as soon as it
// lands.
func TestProgramsTable(t *testing.T) {
	t.Parallel()
	list := exec.Command("go", "list", "-e", "-f", `{{if eq .Name "main"}}{{.ImportPath}}{{end}}`, "./...")
	list.Dir = moduleRoot
	out, err := list.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var mains []string
	for _, path := range strings.Fields(string(out)) {
		mains = append(mains, strings.TrimPrefix(path, modulePath+"/"))
	}
	if len(mains) == 0 {
		t.Fatal("go list found no main package under examples/")
	}
	for _, m := range mains {
		if !slices.Contains(programs, m) {
			t.Errorf("examples/%s holds a main package but is not in the programs table (internal/contract/main_test.go): add %q", m, m)
		}
	}
	for _, p := range programs {
		if !slices.Contains(mains, p) {
			t.Errorf("the programs table names %q, which is not a main package under examples/", p)
		}
	}
}

// eachProgram runs f in a parallel subtest per program of the table.
func eachProgram(t *testing.T, f func(t *testing.T, prog string)) {
	t.Helper()
	for _, prog := range programs {
		t.Run(prog, func(t *testing.T) {
			t.Parallel()
			f(t, prog)
		})
	}
}
