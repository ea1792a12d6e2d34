#!/usr/bin/env bash
# Runs every fuzz target of the core for FUZZTIME each (default 10m), one
# after the other, against a private redis-server (FuzzStoredRecord writes
# tampered records to it), then copies the inputs the fuzzer found
# interesting into core/testdata/fuzz/<target>/, so that the normal tests
# (go test, scripts/test.sh) replay them from then on.
#
#   scripts/fuzz.sh                      # all targets, 10 minutes each
#   FUZZTIME=30s scripts/fuzz.sh FuzzJWTParse
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/redis.sh
start_redis
export SESSIONS_REQUIRE_STORE=1
targets=${*:-FuzzCookieOpen FuzzJWTParse FuzzParseRecord FuzzStoredRecord}
cache=$(go env GOCACHE)/fuzz/github.com/gosessions/sessions/core
for target in $targets; do
  echo "== $target for ${FUZZTIME:-10m}"
  (cd core && go test -run '^$' -fuzz "^$target\$" -fuzztime "${FUZZTIME:-10m}" .)
  if [ -d "$cache/$target" ]; then
    mkdir -p "core/testdata/fuzz/$target"
    cp -n "$cache/$target"/* "core/testdata/fuzz/$target/" 2>/dev/null || true
    echo "$target: $(ls "core/testdata/fuzz/$target" | wc -l) corpus entries in core/testdata/fuzz/$target"
  fi
done
