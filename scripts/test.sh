#!/usr/bin/env bash
# The one test command: starts a private redis-server, a Redis Cluster
# (three primaries, one replica each) and a Sentinel-managed primary with a
# replica, all on free loopback ports; runs vet and the race-enabled tests of
# every module in go.work against the single server, then the conformance
# kit and the programs' contract test against the Cluster and the Sentinel
# set-up; checks a user's install (scripts/installcheck.sh: the modules
# written as a module proxy by scripts/release.sh -o, each README quick
# start got, built and run from it in a fresh module outside the
# repository); then the fault tests under load on fresh rigs
# (core/faults_test.go, SESSIONS_FAULT_TESTS=1: their measured numbers show
# in the output); builds, vets, tests and tidy-checks each module alone
# (GOWORK=off, so a missing require shows); and always stops the servers it
# started.
#

set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

. scripts/redis.sh
. scripts/cluster.sh
. scripts/sentinel.sh
# The browser tests (examples/internal/contract's TestBrowser) drive Debian's
# chromium: installed, like redis-server, when it is missing and we are root.
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "scripts: installing chromium" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >&2
fi
start_redis    # first: the others keep the EXIT trap it sets
start_cluster  # REDICT_CLUSTER_URL: three primaries, one replica each
start_sentinel # REDICT_SENTINEL_URL: a primary, a replica, three Sentinels

# Tests that need the server fail, rather than skip, when it is missing.
export SESSIONS_REQUIRE_STORE=1
export SESSIONS_REQUIRE_BROWSER=1 # and the browser tests when chromium is missing

modules=$(go list -m -f '{{.Dir}}')
status=0

echo "== go vet (workspace)"
for m in $modules; do (cd "$m" && go vet ./...) || status=1; done

echo "== go test -race (workspace)"
t0=$(date +%s)
for m in $modules; do
  (cd "$m" && go test -race -count=1 -timeout 10m ./...) || status=1
done
echo "== go test -race: $(($(date +%s) - t0)) s"

echo "== the conformance kit and the programs' contract on a Cluster and behind Sentinel"
t0=$(date +%s)
for topo in cluster sentinel; do
  url=$REDICT_CLUSTER_URL
  [ $topo = sentinel ] && url=$REDICT_SENTINEL_URL
  (cd core && REDICT_URL=$url go test -race -count=1 -timeout 10m -run 'TestMiddlewareConformance' . ./sessionstest) \
    || { echo "the kit fails on the $topo"; status=1; }
  (cd examples && REDICT_URL=$url go test -count=1 -timeout 10m -run 'TestContract' ./internal/contract) \
    || { echo "the programs' contract fails on the $topo"; status=1; }
done
echo "== Cluster and Sentinel: $(($(date +%s) - t0)) s"

echo "== a user's install: scripts/release.sh -o, then each README quick start got, built and run outside the repository"
# scripts/installcheck.sh: the modules as zips from a file module proxy, in
# fresh modules (GOWORK=off, no replace), against the single server.
t0=$(date +%s)
bash scripts/installcheck.sh || { echo "the install check fails"; status=1; }
echo "== install check: $(($(date +%s) - t0)) s"

echo "== faults under load, on fresh rigs (core/faults_test.go: failover, slot migration, kills, pause, maxmemory)"
# They kill, stop and pause servers, so they run here alone, one after the
# other, on rigs nothing else used; each leaves its rig whole again.
stop_cluster
stop_sentinel
if start_cluster && start_sentinel; then
  t0=$(date +%s)
  (cd core && SESSIONS_FAULT_TESTS=1 go test -count=1 -timeout 10m -run 'Fault' -v .) 2>&1 \
    | grep -E '^(=== RUN|--- |ok|FAIL|panic)|^ +--- |fault' \
    || { echo "the fault tests fail"; status=1; }
  echo "== faults: $(($(date +%s) - t0)) s"
else
  echo "cannot start fresh rigs for the fault tests"
  status=1
fi

echo "== each module alone (GOWORK=off)"
# A missing require shows when the module and its tests compile on their
# own (go vet type-checks the tests): the tests themselves ran above, on the
# same code (each module's replace points where the workspace does).
t0=$(date +%s)
for m in $modules; do
  rel=${m#"$root"/}
  (cd "$m" && GOWORK=off go build -o /dev/null ./... && GOWORK=off go vet ./...) \
    || { echo "module $rel does not build or vet on its own"; status=1; }
  (cd "$m" && GOWORK=off go mod tidy -diff >/dev/null) \
    || { echo "module $rel: go mod tidy would change go.mod/go.sum"; status=1; }
done

echo "== each module alone: $(($(date +%s) - t0)) s"

echo "== lint (golangci-lint, .golangci.yml)"
t0=$(date +%s)
bash scripts/lint.sh || status=1
echo "== lint: $(($(date +%s) - t0)) s"

echo "== done: $([ $status = 0 ] && echo all passed || echo FAILURES above)"
exit $status
