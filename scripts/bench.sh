#!/usr/bin/env bash
# Benchmarks of the core against a private redis-server: ns/op, allocs/op and
# Redict commands per request for each request shape. Runs each benchmark
# COUNT times (default 6) and summarises with benchstat when it is
# installed (go install golang.org/x/perf/cmd/benchstat@latest).
#
#   scripts/bench.sh                 # all, into bench.txt
#   COUNT=10 scripts/bench.sh Renew  # a pattern
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/redis.sh
start_redis
out=${OUT:-bench.txt}
(cd core && go test -run '^$' -bench "${1:-.}" -benchmem -count "${COUNT:-6}" .) | tee "$out"
if command -v benchstat >/dev/null 2>&1; then
  benchstat "$out"
fi
