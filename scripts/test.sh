#!/usr/bin/env bash
# The one test command: starts a private redis-server on a free loopback
# port, runs vet and the race-enabled tests of every module in go.work (and
# again each module alone with GOWORK=off, so a missing require shows), and
# always stops the server it started.
#
#   scripts/test.sh              # everything

set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

if ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test.sh: installing redis-server" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) >&2
  else
    echo "test.sh: redis-server is missing; install it (Debian: apt-get install redis-server)" >&2
    exit 1
  fi
fi

free_port() {
  python3 - <<'PY' 2>/dev/null || echo $((20000 + RANDOM % 20000))
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

dir=$(mktemp -d)
port=$(free_port)
redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
  --dir "$dir" --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
stop() {
  if [ -f "$dir/redis.pid" ]; then kill "$(cat "$dir/redis.pid")" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap stop EXIT
for _ in $(seq 50); do
  redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1 && break
  sleep 0.1
done
redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null

export REDICT_URL="redis://127.0.0.1:$port/0"
# Tests that need the server fail, rather than skip, when it is missing.
export SESSIONS_REQUIRE_STORE=1
echo "test.sh: redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/') on 127.0.0.1:$port"

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
  (cd "$m" && GOWORK=off go build -o /dev/null ./... && GOWORK=off go vet ./...) \
    || { echo "module $rel does not build on its own"; status=1; }
  (cd "$m" && GOWORK=off go mod tidy -diff >/dev/null) \
    || { echo "module $rel: go mod tidy would change go.mod/go.sum"; status=1; }
done

exit $status
