#!/usr/bin/env bash
# scripts/installcheck.sh: a user's install, checked the way a user gets our
# modules: as zips from a module proxy, outside the repository.
#
# Writes the modules at v0.9.0 into a temporary module proxy
# (scripts/release.sh -o); then, for each README quick start (net/http,
# chi, gin, echo v4, echo v5, fiber v2, fiber v3), makes a fresh module
# outside the repository (GOWORK=off, no replace), copies the program out
# of README.md (the block after "<!-- quickstart: NAME -->"), go-gets our
# module and core at the version the release script printed through
# GOPROXY=file://PROXY followed by the default proxy, tidies, builds, runs
# the program against REDICT_URL on a free loopback port, and checks that
# two visits of GET /count with a cookie jar answer 1, then 2.
#
# Uses REDICT_URL when it is set (scripts/test.sh's server), else starts a
# private redis-server (scripts/redis.sh). The go commands use a module
# cache of their own (so that no older build of our v0.9.0 is reused), fed
# from the machine's module cache before the network, and -trimpath builds
# (so that the build cache serves them whatever that cache's path).

set -euo pipefail
cd "$(dirname "$0")/.."
version=v0.9.0
# name of the quick start, and the module it go-gets.
quickstarts="nethttp:core chi:chi gin:gin echo:echo echov5:echov5 fiber:fiber fiberv3:fiberv3"

tmp=$(mktemp -d)
pids=()
started_redis=
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  GOMODCACHE=$tmp/modcache go clean -modcache 2>/dev/null || true
  rm -rf "$tmp"
  [ -z "$started_redis" ] || stop_redis
}
trap cleanup EXIT

if [ -z "${REDICT_URL:-}" ]; then
  . scripts/redis.sh
  start_redis
  started_redis=1
  trap cleanup EXIT # start_redis set its own
fi

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null \
    || echo $((20000 + RANDOM % 20000))
}

fail() {
  echo "installcheck: FAIL: $*" >&2
  exit 1
}

(cd scripts/release && GOWORK=off go build -o "$tmp/release" .) || fail "cannot build scripts/release"
tool=$tmp/release

echo "installcheck: scripts/release.sh -o PROXY $version"
scripts/release.sh -o "$tmp/proxy" "$version" >"$tmp/released" || fail "scripts/release.sh -o fails"
sed 's/^/  /' "$tmp/released"

# Every quick start of the README is checked, and no other.
want=$(for q in $quickstarts; do echo "${q%%:*}"; done | sort | tr '\n' ' ')
have=$("$tool" quickstarts -readme README.md | sort | tr '\n' ' ')
[ "$want" = "$have" ] || fail "README.md marks the quick starts [$have], the check knows [$want]"

realcache=$(go env GOMODCACHE)
default_proxy=$(go env GOPROXY)
export GOWORK=off
export GOMODCACHE=$tmp/modcache
export GOPROXY="file://$tmp/proxy,file://$realcache/cache/download,$default_proxy"
export GONOSUMDB=github.com/gosessions/sessions # ours are in no checksum database yet
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-trimpath"
secret=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')

for q in $quickstarts; do
  name=${q%%:*} mod=github.com/gosessions/sessions/${q#*:}
  core=github.com/gosessions/sessions/core
  at=$(sed -n "s|^$mod@||p" "$tmp/released")
  [ -n "$at" ] || fail "$name: the release script printed no line for $mod"
  t0=$(date +%s)
  dir=$tmp/app-$name
  mkdir "$dir"
  "$tool" quickstart -readme README.md "$name" >"$dir/main.go" || fail "$name: no quick start in README.md"
  (
    cd "$dir"
    go mod init example.com/quickstart/"$name" >/dev/null 2>&1
    go get "$mod@$at" "$core@$at" >get.log 2>&1 || { cat get.log; fail "$name: go get $mod@$at $core@$at"; }
    go mod tidy >tidy.log 2>&1 || { cat tidy.log; fail "$name: go mod tidy"; }
    # The module gets our modules from the proxy, at the released version.
    for m in "$mod" "$core"; do
      got=$(go list -m -f '{{.Version}} {{if .Replace}}replaced{{end}}' "$m")
      [ "$got" = "$at " ] || fail "$name: $m is at '$got', want $at"
    done
    go build -o app . >build.log 2>&1 || { cat build.log; fail "$name: go build"; }
  ) || exit 1
  port=$(free_port)
  ADDR=127.0.0.1:$port SESSION_SECRET=$secret "$dir/app" >"$dir/app.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  out=$("$tool" probe -wait 20s "http://127.0.0.1:$port/count" 2>&1) || {
    echo "$out" >&2
    echo "--- its log:" >&2
    cat "$dir/app.log" >&2
    fail "$name: the program does not count 1, then 2"
  }
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  echo "installcheck: $name: $mod@$at: go get, tidy, build $(($(date +%s) - t0)) s; ${out#GET http://127.0.0.1:"$port"}"
done
n=0
for _ in $quickstarts; do n=$((n + 1)); done
echo "installcheck: all $n quick starts install, build and count"
