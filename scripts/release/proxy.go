package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
	"golang.org/x/mod/zip"
)

// writeProxy writes module m, whose files are in root/m.Dir, at version
// into out as a module proxy serves it (GOPROXY=file://out):
// out/<path>/@v/list, <version>.info, <version>.mod and <version>.zip,
// paths and versions case-escaped. The zip holds what the go command puts
// in one when it fetches the module from a tag: the files of the folder
// but nested modules, vendor directories and version-control folders,
// and, when the folder has no LICENSE of its own, the repository root's.
func writeProxy(out, root string, m workspaceModule, version string, t time.Time) error {
	escPath, err := module.EscapePath(m.Path)
	if err != nil {
		return err
	}
	escVersion, err := module.EscapeVersion(version)
	if err != nil {
		return err
	}
	dir := filepath.Join(out, filepath.FromSlash(escPath), "@v")
	if err := os.MkdirAll(dir, 0o755); err != nil { //nolint:gosec // a module proxy's tree is public: the go command and web servers read it
		return err
	}
	base := filepath.Join(dir, escVersion)
	modDir := filepath.Join(root, filepath.FromSlash(m.Dir))

	var zipBuf bytes.Buffer
	if err := createZip(&zipBuf, module.Version{Path: m.Path, Version: version}, modDir, filepath.Join(root, "LICENSE")); err != nil {
		return fmt.Errorf("%s@%s: %w", m.Path, version, err)
	}
	gomod, err := os.ReadFile(filepath.Join(modDir, "go.mod")) //nolint:gosec // the release reads the repository's own go.mod files
	if err != nil {
		return err
	}
	info, err := json.Marshal(struct {
		Version string
		Time    time.Time
	}{version, t.UTC()})
	if err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		data []byte
	}{
		{base + ".mod", gomod},
		{base + ".zip", zipBuf.Bytes()},
		{base + ".info", append(info, '\n')},
	} {
		if err := writeFileAtomic(f.name, f.data); err != nil {
			return err
		}
	}
	return addToList(filepath.Join(dir, "list"), version)
}

// createZip writes the module zip of m from dir to w. license, when the
// folder has no LICENSE, is the file that takes its place (the go command
// does the same for a module in a subdirectory of its repository).
func createZip(w io.Writer, m module.Version, dir, license string) error {
	cf, err := zip.CheckDir(dir)
	if err != nil {
		return err
	}
	var files []zip.File
	haveLicense := false
	for _, name := range cf.Valid { // CheckDir joins them to dir
		rel, err := filepath.Rel(dir, name)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		haveLicense = haveLicense || rel == "LICENSE"
		files = append(files, diskFile{path: rel, name: name})
	}
	if !haveLicense && license != "" {
		if _, err := os.Stat(license); err == nil {
			files = append(files, diskFile{path: "LICENSE", name: license})
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return zip.Create(w, m, files)
}

// diskFile is a zip.File read from the disk.
type diskFile struct {
	path string // in the zip, relative to the module root
	name string // on the disk
}

func (f diskFile) Path() string                 { return f.path }
func (f diskFile) Lstat() (os.FileInfo, error)  { return os.Lstat(f.name) }
func (f diskFile) Open() (io.ReadCloser, error) { return os.Open(f.name) }

// addToList adds version to a proxy's @v/list file, which lists one
// version a line, in semver order.
func addToList(name, version string) error {
	data, err := os.ReadFile(name) //nolint:gosec // a file of the proxy tree this tool writes
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	versions := strings.Fields(string(data))
	if !slices.Contains(versions, version) {
		versions = append(versions, version)
	}
	semver.Sort(versions)
	return writeFileAtomic(name, []byte(strings.Join(versions, "\n")+"\n"))
}

func writeFileAtomic(name string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), ".tmp-"+filepath.Base(name))
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()           // the write's error is the one to return
		_ = os.Remove(tmp.Name()) // a leftover temp file is harmless
		return err
	}
	if err := tmp.Close(); err != nil {
		_ = os.Remove(tmp.Name()) // a leftover temp file is harmless
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil { //nolint:gosec // a module proxy's files are public
		_ = os.Remove(tmp.Name()) // a leftover temp file is harmless
		return err
	}
	return os.Rename(tmp.Name(), name)
}
