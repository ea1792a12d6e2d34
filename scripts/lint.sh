#!/usr/bin/env bash
# golangci-lint v2 (the version below) on every module of go.work, with the
# repository's .golangci.yml. The binary is built once with `go install`
# into a cache of its own (a few minutes the first time) and reused.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
version=v2.15.0
bin=${GOSESSIONS_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/gosessions-tools}/golangci-lint-$version
if [ ! -x "$bin/golangci-lint" ]; then
  echo "lint: building golangci-lint $version (once)" >&2
  mkdir -p "$bin"
  (cd /tmp && GOFLAGS= GOBIN="$bin" GOWORK=off go install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$version")
fi
status=0
for m in $(go list -m -f '{{.Dir}}'); do
  rel=${m#"$root"/}
  (cd "$m" && "$bin/golangci-lint" run --config "$root/.golangci.yml" ./...) || { echo "lint: $rel has findings"; status=1; }
done
[ $status = 0 ] && echo "lint: clean on every module"
exit $status
