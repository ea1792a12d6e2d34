package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeRepo makes a git repository shaped like ours (go.work; core, gin,
// examples; scripts/release.sh and this tool) with the given
// scripts/test.sh, committed, and returns its root.
func fakeRepo(t *testing.T, testSh string) string {
	t.Helper()
	for _, tool := range []string{"git", "bash", "go", "tar"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s", tool)
		}
	}
	root := t.TempDir()
	files := map[string]string{
		"go.work":            "go 1.26.0\n\nuse (\n\t./core\n\t./examples\n\t./gin\n\t./scripts/release\n)\n",
		"LICENSE":            "MIT\n",
		".gitignore":         "*.out\n",
		"core/go.mod":        gomod(repoPath + "/core"),
		"core/core.go":       "package sessions\n",
		"gin/go.mod":         gomod(repoPath+"/gin", repoPath+"/core"),
		"gin/gin.go":         "package sessionsgin\n\nimport _ \"github.com/gosessions/sessions/core\"\n",
		"examples/go.mod":    gomod(repoPath+"/examples", repoPath+"/core"),
		"examples/main.go":   "package main\n\nfunc main() {}\n",
		"scripts/test.sh":    testSh,
		"scripts/release.sh": readFile(t, "../release.sh"),
	}
	// This tool, as it is in the work tree.
	srcs, _ := filepath.Glob("*.go")
	for _, s := range append(srcs, "go.mod", "go.sum") {
		if !strings.HasSuffix(s, "_test.go") {
			files["scripts/release/"+s] = readFile(t, s)
		}
	}
	writeTree(t, root, files)
	git(t, root, "init", "-q", "-b", "main")
	git(t, root, "add", "-A")
	git(t, root, "commit", "-q", "-m", "a repository of modules")
	return root
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// gitEnv isolates git from the machine's configuration.
var gitEnv = []string{
	"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
	"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
	"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com",
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), gitEnv...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// release runs root's scripts/release.sh and returns its stdout, its
// stderr and whether it succeeded.
func release(t *testing.T, root string, args ...string) (string, string, bool) {
	t.Helper()
	cmd := exec.Command("bash", append([]string{"scripts/release.sh"}, args...)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), append(gitEnv, "GOWORK=off", "GOPROXY=off", "GOFLAGS=-buildvcs=false")...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err == nil
}

const released = "github.com/gosessions/sessions/core@v0.9.0\ngithub.com/gosessions/sessions/gin@v0.9.0\n"

func TestReleaseScript(t *testing.T) {
	t.Parallel()
	root := fakeRepo(t, "#!/usr/bin/env bash\necho tests ran >&2\n")
	head := git(t, root, "rev-parse", "HEAD")

	// A dirty tree is refused before the tests run, and nothing changes.
	writeTree(t, root, map[string]string{"core/new.go": "package sessions\n"})
	if _, stderr, ok := release(t, root, "v0.9.0"); ok || !strings.Contains(stderr, "the work tree is not clean") ||
		strings.Contains(stderr, "tests ran") {
		t.Errorf("a dirty tree: ok=%v\n%s", ok, stderr)
	}
	os.Remove(filepath.Join(root, "core/new.go"))
	if tags := git(t, root, "tag"); tags != "" {
		t.Errorf("tags after a refusal: %s", tags)
	}

	// A bad version is refused.
	for _, v := range []string{"0.9.0", "v0.9", "v2.0.0"} {
		if _, stderr, ok := release(t, root, v); ok || !strings.Contains(stderr, "refused") {
			t.Errorf("version %s: ok=%v\n%s", v, ok, stderr)
		}
	}

	// The release: tests, stamp, commit, tags on that commit.
	stdout, stderr, ok := release(t, root, "v0.9.0")
	if !ok || stdout != released || !strings.Contains(stderr, "tests ran") {
		t.Fatalf("release: ok=%v\nstdout:\n%s\nstderr:\n%s", ok, stdout, stderr)
	}
	commit := git(t, root, "rev-parse", "HEAD")
	if commit == head || git(t, root, "rev-parse", "HEAD~1") != head {
		t.Errorf("the release is not one commit on top of %s", head)
	}
	if tags := git(t, root, "tag"); tags != "core/v0.9.0\ngin/v0.9.0" {
		t.Errorf("tags: %q", tags)
	}
	for _, tag := range []string{"core/v0.9.0", "gin/v0.9.0"} {
		if c := git(t, root, "rev-parse", tag+"^{commit}"); c != commit {
			t.Errorf("%s is on %s, want %s", tag, c, commit)
		}
	}
	for file, want := range map[string]string{
		"gin/go.mod":      "require github.com/gosessions/sessions/core v0.9.0\n\nreplace github.com/gosessions/sessions/core => ../core\n",
		"examples/go.mod": "require github.com/gosessions/sessions/core v0.9.0\n",
	} {
		if got := git(t, root, "show", "gin/v0.9.0:"+file); !strings.Contains(got+"\n", want) {
			t.Errorf("%s at the tag:\n%s\nwant it to hold:\n%s", file, got, want)
		}
	}
	if st := git(t, root, "status", "--porcelain"); st != "" {
		t.Errorf("the tree is not clean after the release:\n%s", st)
	}

	// The same version again: refused, for the tags.
	if _, stderr, ok := release(t, root, "v0.9.0"); ok || !strings.Contains(stderr, "tag core/v0.9.0 exists already") {
		t.Errorf("a second v0.9.0: ok=%v\n%s", ok, stderr)
	}
}

func TestReleaseScriptFailingTests(t *testing.T) {
	t.Parallel()
	root := fakeRepo(t, "#!/usr/bin/env bash\necho tests fail >&2\nexit 1\n")
	head := git(t, root, "rev-parse", "HEAD")
	stdout, stderr, ok := release(t, root, "v0.9.0")
	if ok || stdout != "" || !strings.Contains(stderr, "scripts/test.sh fails") {
		t.Errorf("failing tests: ok=%v\nstdout:\n%s\nstderr:\n%s", ok, stdout, stderr)
	}
	if tags, now := git(t, root, "tag"), git(t, root, "rev-parse", "HEAD"); tags != "" || now != head {
		t.Errorf("after a refusal: tags %q, HEAD %s (was %s)", tags, now, head)
	}
	if st := git(t, root, "status", "--porcelain"); st != "" {
		t.Errorf("the tree changed:\n%s", st)
	}
}

func TestReleaseScriptProxy(t *testing.T) {
	t.Parallel()
	root := fakeRepo(t, "#!/usr/bin/env bash\necho tests ran >&2\n")
	// -o takes the work tree as git sees it: an uncommitted change and an
	// untracked file go in, an ignored one does not.
	writeTree(t, root, map[string]string{"gin/extra.go": "package sessionsgin\n", "gin/x.out": "ignored\n"})
	out := filepath.Join(t.TempDir(), "proxy")
	stdout, stderr, ok := release(t, root, "-o", out, "v0.9.0")
	if !ok || stdout != released || strings.Contains(stderr, "tests ran") {
		t.Fatalf("release -o: ok=%v\nstdout:\n%s\nstderr:\n%s", ok, stdout, stderr)
	}
	if tags := git(t, root, "tag"); tags != "" {
		t.Errorf("release -o tagged %s", tags)
	}
	if st := git(t, root, "status", "--porcelain"); st != "?? gin/extra.go" {
		t.Errorf("release -o changed the tree:\n%s", st)
	}
	mod := readFile(t, filepath.Join(out, "github.com/gosessions/sessions/gin/@v/v0.9.0.mod"))
	if !strings.Contains(mod, "require github.com/gosessions/sessions/core v0.9.0\n") {
		t.Errorf("gin's .mod is not stamped:\n%s", mod)
	}
	zipData := readFile(t, filepath.Join(out, "github.com/gosessions/sessions/gin/@v/v0.9.0.zip"))
	if !strings.Contains(zipData, "gin@v0.9.0/extra.go") || strings.Contains(zipData, "x.out") {
		t.Error("gin's zip does not hold the work tree as git sees it")
	}
	if _, err := os.Stat(filepath.Join(out, "github.com/gosessions/sessions/examples")); err == nil {
		t.Error("examples was written to the proxy")
	}

	// A module whose path cannot carry the version is refused.
	writeTree(t, root, map[string]string{
		"go.work":        "go 1.26.0\n\nuse (\n\t./core\n\t./echo/v5\n)\n",
		"echo/v5/go.mod": gomod(repoPath + "/echo/v5"),
	})
	if stdout, stderr, ok := release(t, root, "-o", out, "v0.9.1"); ok || !strings.Contains(stderr, "echo/v5 cannot be released as v0.9.1") {
		t.Errorf("a /v5 module at v0.9.1: ok=%v\nstdout:\n%s\nstderr:\n%s", ok, stdout, stderr)
	}
}
