# Sourced by the scripts: start_redis starts a private redis-server on a
# free 127.0.0.1 port (installing Debian's redis-server when it is missing
# and we are root), exports REDICT_URL, and stops it when the script exits.
# It never touches a server it did not start.

start_redis() {
  if ! command -v redis-server >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "scripts: installing redis-server" >&2
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) >&2
    else
      echo "scripts: redis-server is missing; install it (Debian: apt-get install redis-server)" >&2
      return 1
    fi
  fi
  _redis_dir=$(mktemp -d)
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null \
    || echo $((20000 + RANDOM % 20000)))
  redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
    --dir "$_redis_dir" --daemonize yes --pidfile "$_redis_dir/redis.pid" --logfile "$_redis_dir/redis.log"
  trap stop_redis EXIT
  for _ in $(seq 50); do
    redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null
  export REDICT_URL="redis://127.0.0.1:$port/0"
  echo "scripts: redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/') on 127.0.0.1:$port" >&2
}

stop_redis() {
  if [ -n "${_redis_dir:-}" ] && [ -f "$_redis_dir/redis.pid" ]; then
    local pid
    pid=$(cat "$_redis_dir/redis.pid")
    kill "$pid" 2>/dev/null || true
    # It writes its last log lines on the way out: let it go before the
    # folder is removed (else a redis.log outlives the rm -rf).
    for _ in $(seq 50); do
      ps -o stat= -p "$pid" 2>/dev/null | grep -qv '^ *Z' || break
      sleep 0.1
    done
  fi
  [ -n "${_redis_dir:-}" ] && rm -rf "$_redis_dir"
  _redis_dir=
}
