package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"go/parser"
	"go/token"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCheckVersion(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"v0.9.0", "v1.0.0", "v0.10.0-rc.1", "v5.2.3"} {
		if err := checkVersion(v); err != nil {
			t.Errorf("checkVersion(%q) = %v, want nil", v, err)
		}
	}
	for _, v := range []string{"", "0.9.0", "v0.9", "v1", "v1.0.0+meta", "v01.0.0", "latest"} {
		if err := checkVersion(v); err == nil {
			t.Errorf("checkVersion(%q) = nil, want an error", v)
		}
	}
}

func TestCheckPathMajor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		path, version string
		ok            bool
	}{
		{repoPath + "/core", "v0.9.0", true},
		{repoPath + "/core", "v1.2.3", true},
		{repoPath + "/echov5", "v0.9.0", true}, // the major is in the name, not a suffix
		{repoPath + "/fiberv3", "v0.9.0", true},
		{repoPath + "/echo/v5", "v0.9.0", false}, // a /v5 path carries v5.x.y only
		{repoPath + "/echo/v5", "v5.0.0", true},
		{repoPath + "/fiber/v3", "v0.9.0", false},
		{repoPath + "/fiber/v3", "v3.1.0", true},
		{repoPath + "/fiber/v3", "v4.0.0", false},
		{repoPath + "/core", "v2.0.0", false}, // v2 needs a /v2 path
	} {
		err := checkPathMajor(tc.path, tc.version)
		if (err == nil) != tc.ok {
			t.Errorf("checkPathMajor(%s, %s) = %v, want ok=%v", tc.path, tc.version, err, tc.ok)
		}
	}
}

func TestIsReleased(t *testing.T) {
	t.Parallel()
	for dir, want := range map[string]bool{
		"core": true, "gin": true, "echov5": true, "fiberv3": true,
		"examples": false, "examples/x": false, "scripts/bench": false, "scripts/release": false,
		"scriptsx": true, ".": false,
	} {
		if got := isReleased(dir); got != want {
			t.Errorf("isReleased(%q) = %v, want %v", dir, got, want)
		}
	}
}

const adapterGoMod = `module github.com/gosessions/sessions/echo

go 1.26.0

replace github.com/gosessions/sessions/core => ../core

require (
	github.com/alicebob/miniredis/v2 v2.40.0
	github.com/gosessions/sessions/core v0.0.0-00010101000000-000000000000 // the core
	github.com/labstack/echo/v4 v4.16.0
)

require (
	github.com/gosessions/sessions/gin v0.0.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
)
`

func TestStampGoMod(t *testing.T) {
	t.Parallel()
	released := []string{repoPath + "/core", repoPath + "/gin"}
	out, err := stampGoMod("go.mod", []byte(adapterGoMod), released, "v0.9.0")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.NewReplacer(
		"core v0.0.0-00010101000000-000000000000 // the core", "core v0.9.0 // the core",
		"gin v0.0.0 // indirect", "gin v0.9.0 // indirect",
	).Replace(adapterGoMod)
	if string(out) != want {
		t.Errorf("stamped go.mod:\n%s\nwant:\n%s", out, want)
	}

	// Stamped again: nothing changes. Without requirements on ours: the
	// bytes are kept as they are.
	again, err := stampGoMod("go.mod", out, released, "v0.9.0")
	if err != nil || string(again) != string(out) {
		t.Errorf("stamping twice changed the file (%v):\n%s", err, again)
	}
	plain := "module example.com/x\n\ngo 1.26.0\n\nrequire   golang.org/x/mod v0.43.0\n"
	if got, err := stampGoMod("go.mod", []byte(plain), released, "v0.9.0"); err != nil || string(got) != plain {
		t.Errorf("a go.mod without ours changed (%v):\n%s", err, got)
	}
	if _, err := stampGoMod("go.mod", []byte("modul x"), released, "v0.9.0"); err == nil {
		t.Error("a broken go.mod was stamped")
	}
}

// writeTree writes files (slash paths relative to dir) under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func gomod(path string, requires ...string) string {
	s := "module " + path + "\n\ngo 1.26.0\n"
	for _, r := range requires {
		s += "\nrequire " + r + " v0.0.0\n\nreplace " + r + " => ../" + strings.TrimPrefix(r, repoPath+"/") + "\n"
	}
	return s
}

func TestCheckRelease(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  string // in the error; "" for none
	}{
		{"ok", map[string]string{
			"go.work":              "go 1.26.0\n\nuse (\n\t./core\n\t./gin\n\t./examples\n\t./scripts/bench\n)\n",
			"core/go.mod":          gomod(repoPath + "/core"),
			"gin/go.mod":           gomod(repoPath+"/gin", repoPath+"/core"),
			"examples/go.mod":      gomod(repoPath+"/examples", repoPath+"/gin"),
			"scripts/bench/go.mod": gomod(repoPath+"/scripts/bench", repoPath+"/core"),
		}, ""},
		{"path not its folder", map[string]string{
			"go.work":     "go 1.26.0\n\nuse ./ginx\n",
			"ginx/go.mod": gomod(repoPath + "/gin"),
		}, "must be github.com/gosessions/sessions/ginx"},
		{"a /v5 path", map[string]string{
			"go.work":        "go 1.26.0\n\nuse ./echo/v5\n",
			"echo/v5/go.mod": gomod(repoPath + "/echo/v5"),
		}, "cannot be released as v0.9.0"},
		{"requires an unreleased module", map[string]string{
			"go.work":         "go 1.26.0\n\nuse (\n\t./gin\n\t./examples\n)\n",
			"gin/go.mod":      gomod(repoPath+"/gin", repoPath+"/examples"),
			"examples/go.mod": gomod(repoPath + "/examples"),
		}, "requires github.com/gosessions/sessions/examples, which is not released"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			writeTree(t, root, tc.files)
			mods, err := readWorkspace(root)
			if err != nil {
				t.Fatal(err)
			}
			err = checkRelease(mods, root, "v0.9.0")
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("checkRelease: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("checkRelease = %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func TestStampWorkspace(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"go.work":              "go 1.26.0\n\nuse (\n\t./core\n\t./gin\n\t./examples\n\t./scripts/bench\n)\n",
		"core/go.mod":          gomod(repoPath + "/core"),
		"gin/go.mod":           gomod(repoPath+"/gin", repoPath+"/core"),
		"examples/go.mod":      gomod(repoPath+"/examples", repoPath+"/gin"),
		"scripts/bench/go.mod": gomod(repoPath+"/scripts/bench", repoPath+"/core"),
	})
	mods, err := stamp(root, "v0.9.0")
	if err != nil {
		t.Fatal(err)
	}
	var released []string
	for _, m := range mods {
		if m.Released {
			released = append(released, m.Dir)
		}
	}
	if !slices.Equal(released, []string{"core", "gin"}) {
		t.Errorf("released %v, want [core gin]", released)
	}
	for dir, want := range map[string]string{
		"gin":           "require github.com/gosessions/sessions/core v0.9.0\n\nreplace github.com/gosessions/sessions/core => ../core\n",
		"examples":      "require github.com/gosessions/sessions/gin v0.9.0\n\nreplace github.com/gosessions/sessions/gin => ../gin\n",
		"scripts/bench": "require github.com/gosessions/sessions/core v0.9.0\n",
	} {
		data, err := os.ReadFile(filepath.Join(root, dir, "go.mod"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), want) {
			t.Errorf("%s/go.mod after stamp:\n%s\nwant it to hold:\n%s", dir, data, want)
		}
	}
	mods, _ = readWorkspace(root)
	for _, m := range mods {
		if m.Released {
			if err := checkStamped(root, m, mods, "v0.9.0"); err != nil {
				t.Error(err)
			}
			if err := checkStamped(root, m, mods, "v0.9.1"); m.Dir == "gin" && err == nil {
				t.Error("checkStamped took gin at another version than its go.mod names")
			}
		}
	}
}

func TestWriteProxy(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"LICENSE":                      "the license\n",
		"core/go.mod":                  gomod(repoPath + "/core"),
		"core/core.go":                 "package sessions\n\n// V is a value.\nconst V = 1\n",
		"core/kit/kit.go":              "package kit\n",
		"core/testdata/fuzz/FuzzX/abc": "go test fuzz v1\n",
		"core/nested/go.mod":           gomod("example.com/nested"), // another module: left out
		"core/nested/nested.go":        "package nested\n",
		"core/.git/config":             "[core]\n",
		"gin/go.mod":                   gomod(repoPath+"/gin", repoPath+"/core"),
		"gin/LICENSE":                  "gin's own license\n",
		"gin/gin.go":                   "package sessionsgin\n",
	})
	out := t.TempDir()
	when := time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("X", 3600))
	core := workspaceModule{Path: repoPath + "/core", Dir: "core", Released: true}
	gin := workspaceModule{Path: repoPath + "/gin", Dir: "gin", Released: true}
	for _, v := range []string{"v0.9.0", "v0.10.0", "v0.9.0"} {
		if err := writeProxy(out, root, core, v, when); err != nil {
			t.Fatal(err)
		}
	}
	if err := writeProxy(out, root, gin, "v0.9.0", when); err != nil {
		t.Fatal(err)
	}

	at := filepath.Join(out, "github.com/gosessions/sessions/core/@v")
	if list, _ := os.ReadFile(filepath.Join(at, "list")); string(list) != "v0.9.0\nv0.10.0\n" {
		t.Errorf("list = %q, want the two versions in semver order", list)
	}
	var info struct {
		Version string
		Time    time.Time
	}
	data, _ := os.ReadFile(filepath.Join(at, "v0.9.0.info"))
	if err := json.Unmarshal(data, &info); err != nil || info.Version != "v0.9.0" || !info.Time.Equal(when) ||
		!strings.Contains(string(data), `"2026-01-02T02:04:05Z"`) {
		t.Errorf("info = %s (%v), want v0.9.0 at %s in UTC", data, err, when)
	}
	if mod, _ := os.ReadFile(filepath.Join(at, "v0.9.0.mod")); string(mod) != gomod(repoPath+"/core") {
		t.Errorf(".mod = %q, want core's go.mod", mod)
	}

	for _, tc := range []struct {
		zip      string
		want     []string
		licensed string
	}{
		{filepath.Join(at, "v0.9.0.zip"), []string{"LICENSE", "core.go", "go.mod", "kit/kit.go", "testdata/fuzz/FuzzX/abc"}, "the license\n"},
		{filepath.Join(out, "github.com/gosessions/sessions/gin/@v/v0.9.0.zip"), []string{"LICENSE", "gin.go", "go.mod"}, "gin's own license\n"},
	} {
		zr, err := zip.OpenReader(tc.zip)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, f := range zr.File {
			_, name, _ := strings.Cut(f.Name, "@v0.9.0/")
			names = append(names, name)
			if name == "LICENSE" {
				rc, _ := f.Open()
				var b bytes.Buffer
				b.ReadFrom(rc)
				rc.Close()
				if b.String() != tc.licensed {
					t.Errorf("%s: LICENSE = %q, want %q", tc.zip, b.String(), tc.licensed)
				}
			}
		}
		zr.Close()
		slices.Sort(names)
		if !slices.Equal(names, tc.want) {
			t.Errorf("%s holds %v, want %v", tc.zip, names, tc.want)
		}
	}

	// The go command takes the proxy: it downloads and verifies the zip.
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	cache := t.TempDir()
	cmd := exec.Command("go", "mod", "download", "-json", repoPath+"/gin@v0.9.0")
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-modcacherw", "GOMODCACHE="+cache,
		"GOPROXY=file://"+filepath.ToSlash(out), "GONOSUMDB="+repoPath, "GOSUMDB=off")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go mod download through the proxy: %v\n%s", err, b)
	}
}

func TestQuickstart(t *testing.T) {
	t.Parallel()
	readme := "# x\n\n<!-- quickstart: a -->\n```go\npackage main\n\nfunc main() {}\n```\n\n" +
		"<!-- quickstart: b -->\ntext\n```go\n```\n\n<!-- quickstart: c -->\n```go\npackage main\n"
	if got, err := quickstart(readme, "a"); err != nil || got != "package main\n\nfunc main() {}\n" {
		t.Errorf("quickstart(a) = %q, %v", got, err)
	}
	for name, want := range map[string]string{
		"b": "not followed by a ```go fence",
		"c": "never closed",
		"d": "no <!-- quickstart: d -->",
	} {
		if _, err := quickstart(readme, name); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("quickstart(%s) = %v, want an error with %q", name, err, want)
		}
	}
	if _, err := quickstart(readme+"<!-- quickstart: a -->\n", "a"); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("a marker twice: %v", err)
	}
	if got := quickstartNames(readme); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("quickstartNames = %v", got)
	}
}

// The README's quick starts: the seven the install check builds, each a
// whole main package (scripts/installcheck.sh builds and runs them).
func TestReadmeQuickstarts(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	names := quickstartNames(string(data))
	if want := []string{"nethttp", "chi", "gin", "echo", "echov5", "fiber", "fiberv3"}; !slices.Equal(names, want) {
		t.Errorf("README quick starts %v, want %v", names, want)
	}
	for _, name := range names {
		prog, err := quickstart(string(data), name)
		if err != nil {
			t.Error(err)
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name+".go", prog, parser.ImportsOnly)
		if err != nil || f.Name.Name != "main" {
			t.Errorf("quick start %s is not a main package: %v", name, err)
		}
	}
}

func TestParseCount(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]int{
		"count: 1\n": 1, `{"count":2}`: 2, "{\"count\": 12}\n": 12,
	} {
		if got, err := parseCount(body); err != nil || got != want {
			t.Errorf("parseCount(%q) = %d, %v, want %d", body, got, err, want)
		}
	}
	for _, body := range []string{"", "count: x", `{"error":"session store unavailable"}`, "count: 1 count: 2"} {
		if _, err := parseCount(body); err == nil {
			t.Errorf("parseCount(%q) took it", body)
		}
	}
}

func TestProbe(t *testing.T) {
	t.Parallel()
	counter := func(keepCookie bool) http.HandlerFunc {
		n := 0
		return func(w http.ResponseWriter, r *http.Request) {
			c, err := r.Cookie("s")
			if err != nil || !keepCookie {
				n = 0
			}
			if c == nil {
				http.SetCookie(w, &http.Cookie{Name: "s", Value: "1", Secure: true, HttpOnly: true})
			}
			n++
			fmt.Fprintf(w, `{"count":%d}`, n)
		}
	}
	ok := httptest.NewServer(counter(true))
	defer ok.Close()
	if err := probe(ok.URL+"/count", 2, time.Second); err != nil {
		t.Errorf("probe of a counter: %v", err)
	}
	forgetful := httptest.NewServer(counter(false))
	defer forgetful.Close()
	if err := probe(forgetful.URL+"/count", 2, time.Second); err == nil || !strings.Contains(err.Error(), "count 1, want 2") {
		t.Errorf("probe of a server that forgets: %v", err)
	}
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":"session store unavailable"}`, http.StatusServiceUnavailable)
	}))
	defer down.Close()
	if err := probe(down.URL+"/count", 2, time.Second); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("probe of a server that answers 503: %v", err)
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	if err := probe(closed.URL+"/count", 2, 200*time.Millisecond); err == nil || !strings.Contains(err.Error(), "never answered") {
		t.Errorf("probe of no server: %v", err)
	}
}
