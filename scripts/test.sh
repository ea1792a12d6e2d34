#!/usr/bin/env bash
# The one test command: starts a private redis-server on a free loopback
# port, runs vet and the race-enabled tests of every module in go.work, then
# builds, vets, tests and tidy-checks each module alone (GOWORK=off, so a
# missing require shows), and always stops the server it started.
#

set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

. scripts/redis.sh
start_redis

# Tests that need the server fail, rather than skip, when it is missing.
export SESSIONS_REQUIRE_STORE=1

modules=$(go list -m -f '{{.Dir}}')
status=0

echo "== go vet (workspace)"
for m in $modules; do (cd "$m" && go vet ./...) || status=1; done

echo "== go test -race (workspace)"
for m in $modules; do
  (cd "$m" && go test -race -count=1 -timeout 10m ./...) || status=1
done

echo "== each module alone (GOWORK=off)"
for m in $modules; do
  rel=${m#"$root"/}
  (cd "$m" && GOWORK=off go build -o /dev/null ./... && GOWORK=off go vet ./... \
    && GOWORK=off go test -count=1 -timeout 10m ./... >/dev/null) \
    || { echo "module $rel does not build or pass on its own"; status=1; }
  (cd "$m" && GOWORK=off go mod tidy -diff >/dev/null) \
    || { echo "module $rel: go mod tidy would change go.mod/go.sum"; status=1; }
done

echo "== done: $([ $status = 0 ] && echo all passed || echo FAILURES above)"
exit $status
