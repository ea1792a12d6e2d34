#!/usr/bin/env bash
# scripts/release.sh VERSION
# scripts/release.sh -o DIR VERSION
#
# Releases every module of go.work but examples and those under scripts/
# (core, chi, echo, echov5, fiber, fiberv3, gin) in lockstep, on one
# VERSION, as the README's Install section explains.
#
# VERSION alone: refuses a work tree that is not clean, a tag that exists
# already, a VERSION that a module path cannot carry (a path ending in /vN
# carries only vN.x.y versions; one without such a suffix only v0.x.y and
# v1.x.y) and a failing scripts/test.sh; then rewrites every module's
# requirements on our modules to VERSION (scripts/release: the replace
# directives stay, consumers ignore them), commits that, and tags the commit
# DIR/VERSION for each module (core/v0.9.0, gin/v0.9.0, ...). The tags are
# local: it never pushes.
#
# -o DIR: the same stamping in a scratch copy of the work tree as git sees
# it (tracked files and untracked ones that are not ignored: what a commit
# of it would release), without the clean-tree and test gates, and with no
# commit and no tag; then writes each module at VERSION into DIR as a
# module proxy serves it (GOPROXY=file://DIR): <module>/@v/list,
# VERSION.info (the time of HEAD's commit), .mod and .zip. scripts/test.sh
# runs it for the install check (scripts/installcheck.sh).
#
# Both print one module@VERSION line per released module on stdout.

set -euo pipefail

usage() {
  echo "usage: scripts/release.sh [-o DIR] VERSION" >&2
  exit 2
}
out=
while getopts o: opt; do
  case $opt in
    o) out=$OPTARG ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[ $# = 1 ] || usage
version=$1
if [ -n "$out" ]; then
  mkdir -p "$out"
  out=$(cd "$out" && pwd)
fi

cd "$(dirname "$0")/.."
root=$PWD
git rev-parse --is-inside-work-tree >/dev/null 2>&1 || {
  echo "release: $root is not a git work tree" >&2
  exit 1
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The Go side: the go.mod stamping, the checks, the proxy writer.
(cd scripts/release && GOWORK=off go build -o "$tmp/release" .)
tool=$tmp/release

if [ -n "$out" ]; then
  scratch=$tmp/src
  mkdir "$scratch"
  git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' f; do
      if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi # not a deleted file
    done \
    | tar -cf - --null -T - | tar -xf - -C "$scratch"
  "$tool" stamp -root "$scratch" "$version"
  "$tool" proxy -root "$scratch" -o "$out" -time "$(git log -1 --format=%cI HEAD)" "$version"
  exit 0
fi

"$tool" check -root . "$version" || {
  echo "release: refused: the modules cannot be released as $version" >&2
  exit 1
}
if [ -n "$(git status --porcelain)" ]; then
  echo "release: refused: the work tree is not clean:" >&2
  git status --short >&2
  exit 1
fi
mods=$("$tool" modules -root .)
while read -r path dir; do
  if git rev-parse -q --verify "refs/tags/$dir/$version" >/dev/null; then
    echo "release: refused: tag $dir/$version exists already ($path)" >&2
    exit 1
  fi
done <<<"$mods"

echo "release: running scripts/test.sh" >&2
bash scripts/test.sh >&2 || {
  echo "release: refused: scripts/test.sh fails" >&2
  exit 1
}
[ -z "$(git status --porcelain)" ] || {
  echo "release: refused: scripts/test.sh left the work tree changed:" >&2
  git status --short >&2
  exit 1
}

"$tool" stamp -root . "$version"
if [ -n "$(git status --porcelain)" ]; then
  git add -u
  git commit -q -m "release $version: every module requires our modules at $version"
fi
while read -r path dir; do
  git tag -a -m "$path $version" "$dir/$version"
  echo "$path@$version"
done <<<"$mods"
echo "release: tagged $(git rev-parse --short HEAD); the tags are local: push them yourself" >&2
