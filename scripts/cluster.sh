# Sourced by the scripts, like scripts/redis.sh: start_cluster starts a
# private Redis Cluster on free 127.0.0.1 ports (three primaries, one replica
# each, nothing persisted), waits until every node says cluster_state:ok,
# agrees on who is whose replica and every replica is in sync, and exports
#
#   REDICT_CLUSTER_URL    redis+cluster://127.0.0.1:p1,...,127.0.0.1:p6
#   REDICT_CLUSTER_NODES  "127.0.0.1:p1 ... 127.0.0.1:p6": p1-p3 start as the
#                         primaries (slots 0-5460, 5461-10922, 10923-16383),
#                         p4-p6 as their replicas, in that order
#   REDICT_CLUSTER_DIR    the nodes' directory: node P runs from P.conf
#                         (restart a killed node: redis-server DIR/P.conf),
#                         logs to P.log, keeps its pid in P.pid
#
# stop_cluster stops the nodes and removes the directory; start_cluster
# registers it to run at exit. Nothing here touches a server it did not
# start: every port is checked to be served by the process we started.
# CLUSTER_NODE_TIMEOUT (ms, default 2000) sets cluster-node-timeout: a
# killed primary's replica is promoted and cluster_state is ok again about
# 3.5 s later (2.3 s at 1000); a killed node restarted from its P.conf
# rejoins, as a replica, within half a second.
# A cluster cannot be ready in less than about 2 s: a primary keeps
# cluster_state:fail for 2 s after it starts (CLUSTER_WRITABLE_DELAY).
#
# The helpers below (scripts_at_exit, scripts_free_ports,
# scripts_start_server, scripts_stop_servers) are shared with
# scripts/sentinel.sh, which sources this file for them.
# Call start_redis (scripts/redis.sh) before start_cluster when a script
# uses both: start_redis replaces the EXIT trap; scripts_at_exit keeps the
# trap it finds and runs it last.

# scripts_at_exit CMD runs CMD (once) when the script exits, before the
# commands registered earlier and before an EXIT trap set without it (such
# as redis.sh's trap stop_redis EXIT), which it takes over.
if ! declare -F scripts_at_exit >/dev/null; then
  _scripts_exit_cmds=()
  scripts_at_exit() {
    local cmd=$1 prev c
    prev=$(trap -p EXIT)
    if [ -n "$prev" ] && [ "$prev" != "trap -- '_scripts_run_exit' EXIT" ]; then
      eval "set -- $prev" # trap -- 'CMD' EXIT
      _scripts_exit_cmds+=("$3")
    fi
    trap _scripts_run_exit EXIT
    for c in "${_scripts_exit_cmds[@]}"; do [ "$c" = "$cmd" ] && return 0; done
    _scripts_exit_cmds=("$cmd" "${_scripts_exit_cmds[@]}")
  }
  _scripts_run_exit() {
    local c
    for c in "${_scripts_exit_cmds[@]}"; do eval "$c" || true; done
  }
fi

# scripts_free_ports N OFFSET prints N free 127.0.0.1 ports P, one a line,
# for which P+OFFSET is free too (OFFSET 0: no second port), all below the
# kernel's ephemeral range (32768-) so that no outgoing connection takes
# one meanwhile. It holds every port it found until all are found, so the
# N are distinct. A port can still be taken before our server binds it:
# scripts_start_server notices.
scripts_free_ports() {
  local py=python3
  [ -x /usr/bin/python3 ] && py=/usr/bin/python3 # a pyenv shim costs 200 ms
  "$py" - "$1" "$2" <<'EOF' 2>/dev/null && return
import random, socket, sys
n, off = int(sys.argv[1]), int(sys.argv[2])
held, ports = [], []
def grab(p):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        s.close()
        return None
    return s
for _ in range(5000):
    if len(ports) == n:
        break
    p = random.randrange(10000, 32000 - off)
    if p in ports or p + off in ports or p - off in ports:
        continue
    a = grab(p)
    b = grab(p + off) if a and off else None
    if a and (b or not off):
        held += [a, b]
        ports.append(p)
    elif a:
        a.close()
print("\n".join(map(str, ports)))
sys.exit(0 if len(ports) == n else 1)
EOF
  # No python3: a port nobody answers on is very likely free.
  local i p used=" "
  for ((i = 0; i < $1; )); do
    p=$((10000 + RANDOM % (22000 - $2)))
    case $used in *" $p "* | *" $((p + $2)) "* | *" $((p - $2)) "*) continue ;; esac
    (: </dev/tcp/127.0.0.1/$p) 2>/dev/null && continue
    [ "$2" = 0 ] || { (: </dev/tcp/127.0.0.1/$((p + $2))) 2>/dev/null && continue; }
    used="$used$p "
    echo "$p"
    i=$((i + 1))
  done
}

# scripts_start_server PORT CONF [ARG...] starts redis-server CONF ARG...
# (CONF daemonizes it and names its pid file DIR/PORT.pid, DIR being
# CONF's directory) and waits until 127.0.0.1:PORT answers as the server
# of that config file and the pid file is written. It fails, after
# stopping what it started, when the port is someone else's or the server
# did not come up in 5 s.
scripts_start_server() {
  local port=$1 conf=$2 i info
  shift 2
  redis-server "$conf" "$@" >/dev/null || return 1
  for ((i = 0; i < 250; i++)); do
    info=$(redis-cli -h 127.0.0.1 -p "$port" info server 2>/dev/null | tr -d '\r') || info=
    case $info in
      *"config_file:$conf"$'\n'*) [ -s "$(dirname "$conf")/$port.pid" ] && return 0 ;;
      *config_file:*) break ;; # someone else's server
    esac
    sleep 0.02
  done
  scripts_stop_servers "$(dirname "$conf")" "$port"
  return 1
}

# scripts_stop_servers DIR [PORT...] stops the servers whose pid files
# (DIR/PORT.pid, all of them or those of the PORTs) are there, only if the
# pid still is a redis-server on that port (a test may have killed one and
# its pid gone to another program), and waits for them to go, SIGKILLing a
# straggler after two seconds.
scripts_stop_servers() {
  local dir=$1 f p pid pids=() i
  shift
  if [ $# = 0 ]; then set -- "$dir"/*.pid; else set -- "${@/#/$dir/}"; set -- "${@/%/.pid}"; fi
  for f in "$@"; do
    [ -f "$f" ] || continue
    p=$(basename "$f" .pid)
    pid=$(cat "$f" 2>/dev/null) || continue
    case $(ps -o args= -p "$pid" 2>/dev/null) in
      *redis-server*":$p"*) pids+=("$pid") ;;
    esac
  done
  [ ${#pids[@]} = 0 ] && return 0
  kill "${pids[@]}" 2>/dev/null || true
  for ((i = 0; i < 40; i++)); do
    # Gone, or a zombie that init has not reaped yet.
    ps -o stat= -p "$(IFS=,; echo "${pids[*]}")" 2>/dev/null | grep -qv '^ *Z' || return 0
    sleep 0.05
  done
  kill -9 "${pids[@]}" 2>/dev/null || true
}

# _cluster_conf PORT writes the node's config file and prints its name.
_cluster_conf() {
  cat >"$_cluster_dir/$1.conf" <<EOF
bind 127.0.0.1
port $1
daemonize yes
pidfile $_cluster_dir/$1.pid
logfile $_cluster_dir/$1.log
dir $_cluster_dir
dbfilename dump-$1.rdb
save ""
appendonly no
cluster-enabled yes
cluster-config-file nodes-$1.conf
cluster-node-timeout ${CLUSTER_NODE_TIMEOUT:-2000}
cluster-replica-validity-factor 0
cluster-announce-ip 127.0.0.1
replica-announce-ip 127.0.0.1
repl-diskless-sync yes
repl-diskless-sync-delay 0
EOF
  echo "$_cluster_dir/$1.conf"
}

start_cluster() {
  command -v redis-server >/dev/null 2>&1 \
    || { echo "scripts: redis-server is missing (Debian: apt-get install redis-server)" >&2; return 1; }
  local t0 p try i nodes=() ports=()
  t0=$(date +%s%N)
  _cluster_dir=$(mktemp -d)
  scripts_at_exit stop_cluster
  for p in $(scripts_free_ports 6 10000); do
    for ((try = 0; ; try++)); do
      scripts_start_server "$p" "$(_cluster_conf "$p")" && break
      [ $try -lt 3 ] || { echo "scripts: cannot start a cluster node (see $_cluster_dir/*.log)" >&2; return 1; }
      rm -f "$_cluster_dir/$p".* "$_cluster_dir/nodes-$p.conf"
      p=$(scripts_free_ports 1 10000)
    done
    ports+=("$p")
    nodes+=("127.0.0.1:$p")
  done
  [ ${#ports[@]} = 6 ] || { echo "scripts: no free ports for the cluster" >&2; return 1; }
  _cluster_create "${ports[@]}" || { echo "scripts: cannot create the cluster (see $_cluster_dir)" >&2; return 1; }
  for ((i = 0; i < 300; i++)); do
    _cluster_ready "${ports[@]}" && break
    sleep 0.05
  done
  _cluster_ready "${ports[@]}" || { echo "scripts: the cluster did not become ready (see $_cluster_dir)" >&2; return 1; }
  export REDICT_CLUSTER_NODES="${nodes[*]}"
  export REDICT_CLUSTER_URL="redis+cluster://$(IFS=,; echo "${nodes[*]}")"
  export REDICT_CLUSTER_DIR="$_cluster_dir"
  echo "scripts: redis cluster (3 primaries, 3 replicas) on ${nodes[*]}, ready in $((($(date +%s%N) - t0) / 1000000)) ms" >&2
}

# _cluster_create P1 ... P6 makes a cluster of fresh nodes, as
# redis-cli --cluster create --cluster-replicas 1 does but without its
# one-second sleeps: P1-P3 get a third of the slots each and config epochs
# 1-3, every node meets every other, and P4-P6 replicate P1-P3.
_cluster_create() {
  local p q i id try
  redis-cli -h 127.0.0.1 -p "$1" cluster addslotsrange 0 5460 >/dev/null || return 1
  redis-cli -h 127.0.0.1 -p "$2" cluster addslotsrange 5461 10922 >/dev/null || return 1
  redis-cli -h 127.0.0.1 -p "$3" cluster addslotsrange 10923 16383 >/dev/null || return 1
  i=1
  for p in "$@"; do
    redis-cli -h 127.0.0.1 -p "$p" cluster set-config-epoch $i >/dev/null || return 1
    i=$((i + 1))
  done
  for p in "$@"; do
    for q in "$@"; do [ "$q" = "$p" ] || echo "CLUSTER MEET 127.0.0.1 $q"; done \
      | redis-cli -h 127.0.0.1 -p "$p" >/dev/null || return 1
  done
  for i in 1 2 3; do
    p=${*:i:1} q=${*:i+3:1}
    id=$(redis-cli -h 127.0.0.1 -p "$p" cluster myid) || return 1
    # The replica must have finished the handshake with its primary first.
    for ((try = 0; try < 250; try++)); do
      [ "$(redis-cli -h 127.0.0.1 -p "$q" cluster replicate "$id" 2>/dev/null)" = OK ] && continue 2
      sleep 0.02
    done
    return 1
  done
}

# _cluster_ready PORT... succeeds when every node says cluster_state:ok,
# knows all the others and sees three replicas with all links up, and
# every replica's link is up and its sync done.
_cluster_ready() {
  local p info masters=0 replicas=0
  for p in "$@"; do
    info=$(redis-cli -h 127.0.0.1 -p "$p" cluster info 2>/dev/null) || return 1
    case $info in *cluster_state:ok*) ;; *) return 1 ;; esac
    case $info in *"cluster_known_nodes:$#"*) ;; *) return 1 ;; esac
    info=$(redis-cli -h 127.0.0.1 -p "$p" cluster nodes 2>/dev/null) || return 1
    case $info in *fail* | *handshake* | *noaddr* | *disconnected*) return 1 ;; esac
    [ "$(echo "$info" | awk '$3 ~ /slave/' | wc -l)" = 3 ] || return 1
    info=$(redis-cli -h 127.0.0.1 -p "$p" info replication 2>/dev/null) || return 1
    case $info in
      *role:master*)
        case $info in *connected_slaves:1*state=online*) masters=$((masters + 1)) ;; *) return 1 ;; esac ;;
      *role:slave*)
        case $info in *master_link_status:up*master_sync_in_progress:0*) replicas=$((replicas + 1)) ;; *) return 1 ;; esac ;;
    esac
  done
  [ $masters = 3 ] && [ $replicas = 3 ]
}

stop_cluster() {
  [ -n "${_cluster_dir:-}" ] || return 0
  scripts_stop_servers "$_cluster_dir"
  rm -rf "$_cluster_dir"
  _cluster_dir=
  unset REDICT_CLUSTER_URL REDICT_CLUSTER_NODES REDICT_CLUSTER_DIR
}
