package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// repoPath is the path of the repository: a module in its folder DIR has the
// path repoPath/DIR, so that the go command finds its version DIR/vX.Y.Z
// among the repository's tags.
const repoPath = "github.com/gosessions/sessions"

// unreleased names the workspace's modules that are never released: the
// demo programs and the tools under scripts/ (the bench, this tool). Each
// entry is a folder, relative to the workspace root, that holds them.
var unreleased = []string{"examples", "scripts"}

// A workspace module: its path, its folder, and whether it is released.
type workspaceModule struct {
	Path     string // module path, from its go.mod
	Dir      string // folder, relative to the workspace root, slash-separated
	Released bool
}

// readWorkspace lists the modules of root/go.work in the order of its use
// directives.
func readWorkspace(root string) ([]workspaceModule, error) {
	name := filepath.Join(root, "go.work")
	data, err := os.ReadFile(name) //nolint:gosec // the repository's own go.mod files
	if err != nil {
		return nil, err
	}
	wf, err := modfile.ParseWork(name, data, nil)
	if err != nil {
		return nil, err
	}
	var mods []workspaceModule
	for _, u := range wf.Use {
		dir := filepath.ToSlash(filepath.Clean(u.Path))
		if filepath.IsAbs(u.Path) || dir == ".." || strings.HasPrefix(dir, "../") {
			return nil, fmt.Errorf("%s: use %s: a module outside the repository", name, u.Path)
		}
		gomod := filepath.Join(root, filepath.FromSlash(dir), "go.mod")
		data, err := os.ReadFile(gomod)
		if err != nil {
			return nil, err
		}
		path := modfile.ModulePath(data)
		if path == "" {
			return nil, fmt.Errorf("%s: no module line", gomod)
		}
		mods = append(mods, workspaceModule{Path: path, Dir: dir, Released: isReleased(dir)})
	}
	return mods, nil
}

// isReleased reports whether the module in folder dir is released.
func isReleased(dir string) bool {
	for _, u := range unreleased {
		if dir == u || strings.HasPrefix(dir, u+"/") {
			return false
		}
	}
	return dir != "."
}

// checkVersion refuses a version that is not a canonical semantic version
// ("v0.9.0", "v1.0.0-rc.1"; not "v1.0", "0.9.0" or "v1.0.0+meta").
func checkVersion(version string) error {
	if !semver.IsValid(version) || semver.Canonical(version) != version {
		return fmt.Errorf("version %q is not of the form vMAJOR.MINOR.PATCH[-PRERELEASE]", version)
	}
	return nil
}

// checkRelease refuses to release the workspace's released modules at
// version when the go command could not find them there: a module whose
// path does not name its folder (its tag DIR/version would not be found),
// or whose path's major-version suffix does not match the version (a path
// ending in /v5 carries only v5.x.y versions, and one without a suffix only
// v0.x.y and v1.x.y), or that requires a module of ours that is not
// released.
func checkRelease(mods []workspaceModule, root, version string) error {
	if err := checkVersion(version); err != nil {
		return err
	}
	var errs []error
	released := map[string]bool{}
	for _, m := range mods {
		released[m.Path] = m.Released
	}
	for _, m := range mods {
		if !m.Released {
			continue
		}
		if m.Path != repoPath+"/"+m.Dir {
			errs = append(errs, fmt.Errorf("module %s in folder %s: a released module's path must be %s/%s, or its tag %s/%s does not name it",
				m.Path, m.Dir, repoPath, m.Dir, m.Dir, version))
		}
		if err := checkPathMajor(m.Path, version); err != nil {
			errs = append(errs, err)
		}
		f, err := parseGoMod(root, m)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, r := range f.Require {
			if ours(r.Mod.Path) && !released[r.Mod.Path] {
				errs = append(errs, fmt.Errorf("module %s requires %s, which is not released", m.Path, r.Mod.Path))
			}
		}
	}
	return errors.Join(errs...)
}

// checkPathMajor refuses a version that the module path cannot carry.
func checkPathMajor(path, version string) error {
	_, pathMajor, ok := module.SplitPathVersion(path)
	if !ok {
		return fmt.Errorf("module path %q is not valid", path)
	}
	if err := module.CheckPathMajor(version, pathMajor); err != nil {
		return fmt.Errorf("module %s cannot be released as %s: %w", path, version, err)
	}
	return nil
}

// ours reports whether path is a module of this repository.
func ours(path string) bool {
	return path == repoPath || strings.HasPrefix(path, repoPath+"/")
}

func parseGoMod(root string, m workspaceModule) (*modfile.File, error) {
	name := filepath.Join(root, filepath.FromSlash(m.Dir), "go.mod")
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return modfile.Parse(name, data, nil)
}

// stampGoMod rewrites a go.mod's requirements on the released modules to
// version and returns the new file. Everything else is kept: the replace
// directives (the workspace and each module alone use them; consumers of a
// module ignore them), the other requirements, the comments.
func stampGoMod(name string, data []byte, released []string, version string) ([]byte, error) {
	f, err := modfile.Parse(name, data, nil)
	if err != nil {
		return nil, err
	}
	changed := false
	for _, r := range f.Require {
		if slices.Contains(released, r.Mod.Path) && r.Mod.Version != version {
			if err := f.AddRequire(r.Mod.Path, version); err != nil {
				return nil, err
			}
			changed = true
		}
	}
	if !changed {
		return data, nil
	}
	f.Cleanup()
	return modfile.Format(f.Syntax), nil
}

// stamp checks the release and stamps every workspace module's go.mod
// (the unreleased ones too, so that the examples and the bench name the
// versions that are released) under root.
func stamp(root, version string) ([]workspaceModule, error) {
	mods, err := readWorkspace(root)
	if err != nil {
		return nil, err
	}
	if err := checkRelease(mods, root, version); err != nil {
		return nil, err
	}
	var released []string
	for _, m := range mods {
		if m.Released {
			released = append(released, m.Path)
		}
	}
	for _, m := range mods {
		name := filepath.Join(root, filepath.FromSlash(m.Dir), "go.mod")
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		out, err := stampGoMod(name, data, released, version)
		if err != nil {
			return nil, err
		}
		if string(out) != string(data) {
			if err := os.WriteFile(name, out, 0o644); err != nil { //nolint:gosec // a go.mod, as git checks it out
				return nil, err
			}
		}
	}
	return mods, nil
}
