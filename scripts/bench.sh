#!/usr/bin/env bash
# Benchmarks against a private redis-server.
#
# Without "peers": the core's benchmarks, ns/op, allocs/op and Redict
# commands per request for each request shape. Runs each benchmark COUNT
# times (default 6) and summarises with benchstat when it is installed
# (go install golang.org/x/perf/cmd/benchstat@latest).
#
#   scripts/bench.sh                 # all, into bench.txt
#   COUNT=10 scripts/bench.sh Renew  # a pattern
#
# "peers": our example programs against the floor (bare net/http +
# go-redis) and each framework's own session library (scripts/bench/, its
# own module): builds them all, starts its own redis-server, runs them
# interleaved over ROUNDS rounds and prints one table of medians; writes
# an SVG chart of req/s relative to the floor and the run's numbers as
# JSON. With DELAY, every server's store connection goes through a proxy
# that holds each chunk of replies that long (a store a network away);
# the load generator never goes through it.
#
#   scripts/bench.sh peers                    # loopback
#   DELAY=250us scripts/bench.sh peers        # the store 250 µs away
#   ROUNDS=30 DURATION=1s scripts/bench.sh peers
#
# "peers-combine": the README's chart (scripts/bench/peers.svg) and its
# side-by-side tables, from the JSON of runs of several profiles:
#
#   scripts/bench.sh peers-combine /tmp/gosessions-peers-loopback.json /tmp/gosessions-peers-250us.json
#
#   DELAY       the profile: a Go duration (0: loopback, the default)
#   ROUNDS      rounds, at least 3 (default 12)
#   DURATION    each measured run (400ms); WARMUP before it (50ms)
#   USERS       simulated users, each with its own cookie jar (32)
#   PEERS_SVG   the chart ($TMPDIR/gosessions-peers-PROFILE.svg; for
#               peers-combine scripts/bench/peers.svg)
#   PEERS_OUT   also write the table here (markdown; default: stdout only)
#   PEERS_JSON  every round's numbers as JSON ($TMPDIR/gosessions-peers-PROFILE.json,
#               PROFILE being loopback or the DELAY as given)
#   PEERS_LOGS  the servers' output ($TMPDIR/gosessions-peers-logs)
#   ALLOCS_N    iterations of the allocation benchmarks (2000)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/redis.sh

peers() {
  # The floor and the frameworks' peers, from scripts/bench/cmd/NAME.
  local peers=(floor scs gincontrib echocontrib fibersession fiberv3session)
  # Our programs, one line each: examples/NAME and the peer it is
  # compared with. A line whose directory does not exist yet is skipped.
  local ours="
    nethttp  scs
    chi      scs
    gin      gincontrib
    echo     echocontrib
    echov5   echocontrib
    fiber    fibersession
    fiberv3  fiberv3session
  "
  local logs
  bin=$(mktemp -d) # global: the EXIT trap removes it
  logs=${PEERS_LOGS:-${TMPDIR:-/tmp}/gosessions-peers-logs}
  rm -rf "$logs" && mkdir -p "$logs"

  local -a dirs=() args=()
  local name peer p
  while read -r name peer; do
    [ -z "$name" ] && continue
    if [ -d "examples/$name" ]; then
      dirs+=("./examples/$name")
    else
      echo "bench: examples/$name does not exist yet; skipped" >&2
    fi
  done <<<"$ours"

  echo "bench: building the peers and ${#dirs[@]} programs" >&2
  go build -o "$bin/" ./scripts/bench/cmd/...
  go build -o "$bin/" "${dirs[@]}"

  # Rows and run order: the floor, then each peer followed by our
  # programs compared with it.
  for p in "${peers[@]}"; do
    if [ "$p" = floor ]; then
      args+=(-server "floor,floor,,$bin/floor")
      continue
    fi
    args+=(-server "$p,peer,,$bin/$p")
    while read -r name peer; do
      if [ "$peer" = "$p" ] && [ -x "$bin/$name" ]; then
        args+=(-server "$name,ours,$peer,$bin/$name")
      fi
    done <<<"$ours"
    if [ "$p" = scs ]; then
      # The opt-in local cache (StoreOptions.LocalCache), on net/http.
      args+=(-server "nethttp+cache,ours,scs,$bin/nethttp,SESSION_LOCAL_CACHE=100000")
    fi
  done

  local delay=${DELAY:-0} profile=loopback
  case $delay in 0 | 0s | 0ms | 0us | 0µs) ;; *) profile=$delay ;; esac
  local tmp=${TMPDIR:-/tmp}
  start_redis
  trap 'stop_redis; rm -rf "$bin"' EXIT
  local out=${PEERS_OUT:-/dev/null}
  "$bin/peers" -own-redis -redis "$REDICT_URL" -rounds "${ROUNDS:-12}" -users "${USERS:-32}" \
    -d "${DURATION:-400ms}" -warmup "${WARMUP:-50ms}" -delay "$delay" \
    -svg "${PEERS_SVG:-$tmp/gosessions-peers-$profile.svg}" \
    -json "${PEERS_JSON:-$tmp/gosessions-peers-$profile.json}" -logs "$logs" "${args[@]}" | tee "$out"
  # Allocations per request of the session layer alone, in-process, on
  # the same redis-server: the floor, scs and our net/http middleware.
  {
    printf '\n### Allocations per request (go test -bench, in-process; harness: the benchmark'"'"'s own)\n\n```\n'
    go test -run '^$' -bench . -benchmem -benchtime "${ALLOCS_N:-2000}x" ./scripts/bench/allocs | grep '^Benchmark'
    printf '```\n'
  } | tee -a "$out"
}

if [ "${1:-}" = peers ]; then
  peers
  exit
fi
if [ "${1:-}" = peers-combine ]; then
  shift
  [ $# -ge 1 ] || { echo "usage: scripts/bench.sh peers-combine RUN.json..." >&2; exit 2; }
  files=$(IFS=,; echo "$*")
  go run ./scripts/bench/cmd/peers -combine "$files" -svg "${PEERS_SVG:-scripts/bench/peers.svg}"
  exit
fi

start_redis
out=${OUT:-bench.txt}
(cd core && go test -run '^$' -bench "${1:-.}" -benchmem -count "${COUNT:-6}" .) | tee "$out"
if command -v benchstat >/dev/null 2>&1; then
  benchstat "$out"
fi
