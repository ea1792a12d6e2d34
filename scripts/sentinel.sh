# Sourced by the scripts, like scripts/redis.sh: start_sentinel starts a
# private Sentinel setup on free 127.0.0.1 ports (a primary, one replica and
# three Sentinels with quorum 2; nothing persisted), waits until every
# Sentinel sees the primary, the replica in sync and the two other
# Sentinels, and exports
#
#   REDICT_SENTINEL_URL      redis+sentinel://127.0.0.1:s1,127.0.0.1:s2,127.0.0.1:s3/gosessions/0
#   REDICT_SENTINEL_MASTER   the master name, gosessions
#   REDICT_SENTINEL_PRIMARY  127.0.0.1:p, the primary at start
#   REDICT_SENTINEL_REPLICA  127.0.0.1:r, its replica at start
#   REDICT_SENTINEL_ADDRS    "127.0.0.1:s1 127.0.0.1:s2 127.0.0.1:s3"
#   REDICT_SENTINEL_DIR      the servers' directory: server P runs from
#                            P.conf (restart a killed one: redis-server
#                            DIR/P.conf; a Sentinel: add --sentinel), logs
#                            to P.log, keeps its pid in P.pid
#
# stop_sentinel stops them all and removes the directory; start_sentinel
# registers it to run at exit. Nothing here touches a server it did not
# start. A dead primary is noticed after SENTINEL_DOWN_AFTER ms (default
# 1000), and the Sentinels name its replica about 2.3 s after a kill -9
# (3 s after a SIGTERM); a failover that stalls is retried after twice
# SENTINEL_FAILOVER_TIMEOUT ms (default 3000). A killed primary restarted
# from its P.conf comes back as a master and is turned into a replica about
# 11 s later. Every address the servers and Sentinels announce is 127.0.0.1.
#
# The helpers (scripts_at_exit, scripts_free_ports, scripts_start_server,
# scripts_stop_servers) live in scripts/cluster.sh, sourced here.
# Call start_redis (scripts/redis.sh) before start_sentinel when a script
# uses both: start_redis replaces the EXIT trap; scripts_at_exit keeps it.

if ! declare -F scripts_start_server >/dev/null; then
  . "$(dirname "${BASH_SOURCE[0]}")/cluster.sh"
fi

# _sentinel_data_conf PORT [PRIMARY-PORT] writes a data server's config
# file (a replica of PRIMARY-PORT when given) and prints its name. The
# Sentinels rewrite it when they reconfigure the server.
_sentinel_data_conf() {
  cat >"$_sentinel_dir/$1.conf" <<EOF
bind 127.0.0.1
port $1
daemonize yes
pidfile $_sentinel_dir/$1.pid
logfile $_sentinel_dir/$1.log
dir $_sentinel_dir
dbfilename dump-$1.rdb
save ""
appendonly no
replica-announce-ip 127.0.0.1
repl-diskless-sync yes
repl-diskless-sync-delay 0
${2:+replicaof 127.0.0.1 $2}
EOF
  echo "$_sentinel_dir/$1.conf"
}

# _sentinel_conf PORT PRIMARY-PORT writes a Sentinel's config file, which
# it rewrites as it learns, and prints its name.
_sentinel_conf() {
  cat >"$_sentinel_dir/$1.conf" <<EOF
bind 127.0.0.1
port $1
daemonize yes
pidfile $_sentinel_dir/$1.pid
logfile $_sentinel_dir/$1.log
dir $_sentinel_dir
sentinel announce-ip 127.0.0.1
sentinel monitor $_sentinel_master 127.0.0.1 $2 2
sentinel down-after-milliseconds $_sentinel_master ${SENTINEL_DOWN_AFTER:-1000}
sentinel failover-timeout $_sentinel_master ${SENTINEL_FAILOVER_TIMEOUT:-3000}
sentinel parallel-syncs $_sentinel_master 1
EOF
  echo "$_sentinel_dir/$1.conf"
}

# _sentinel_start KIND PORT [ARG] starts a server of KIND (data or
# sentinel) on PORT, or on another free port when PORT is taken, and
# prints the port it runs on.
_sentinel_start() {
  local kind=$1 p=$2 try conf
  for ((try = 0; ; try++)); do
    if [ "$kind" = sentinel ]; then
      conf=$(_sentinel_conf "$p" "$3") && scripts_start_server "$p" "$conf" --sentinel && break
    else
      conf=$(_sentinel_data_conf "$p" "${3:-}") && scripts_start_server "$p" "$conf" && break
    fi
    rm -f "$_sentinel_dir/$p".*
    [ $try -lt 3 ] || { echo "scripts: cannot start a $kind server (see $_sentinel_dir/*.log)" >&2; return 1; }
    p=$(scripts_free_ports 1 0) || return 1
  done
  echo "$p"
}

start_sentinel() {
  command -v redis-server >/dev/null 2>&1 \
    || { echo "scripts: redis-server is missing (Debian: apt-get install redis-server)" >&2; return 1; }
  local t0 ports primary replica s i sentinels=()
  t0=$(date +%s%N)
  _sentinel_dir=$(mktemp -d)
  _sentinel_master=gosessions
  scripts_at_exit stop_sentinel
  ports=($(scripts_free_ports 5 0)) && [ ${#ports[@]} = 5 ] \
    || { echo "scripts: no free ports for the sentinels" >&2; return 1; }
  primary=$(_sentinel_start data "${ports[0]}") || return 1
  replica=$(_sentinel_start data "${ports[1]}" "$primary") || return 1
  # The Sentinels learn of the replica from the primary's INFO, which they
  # read at once on connecting and then every 10 s: let it be in sync first.
  for ((i = 0; i < 250; i++)); do
    _sentinel_synced "$primary" "$replica" && break
    sleep 0.02
  done
  _sentinel_synced "$primary" "$replica" || { echo "scripts: the replica did not sync (see $_sentinel_dir)" >&2; return 1; }
  for s in "${ports[@]:2}"; do
    s=$(_sentinel_start sentinel "$s" "$primary") || return 1
    sentinels+=("127.0.0.1:$s")
  done
  # Sentinels find each other by hello messages, one every 2 s.
  for ((i = 0; i < 500; i++)); do
    _sentinel_ready "$primary" "$replica" "${sentinels[@]}" && break
    sleep 0.05
  done
  _sentinel_ready "$primary" "$replica" "${sentinels[@]}" \
    || { echo "scripts: the sentinels did not agree (see $_sentinel_dir)" >&2; return 1; }
  export REDICT_SENTINEL_URL="redis+sentinel://$(IFS=,; echo "${sentinels[*]}")/$_sentinel_master/0"
  export REDICT_SENTINEL_MASTER=$_sentinel_master
  export REDICT_SENTINEL_PRIMARY="127.0.0.1:$primary"
  export REDICT_SENTINEL_REPLICA="127.0.0.1:$replica"
  export REDICT_SENTINEL_ADDRS="${sentinels[*]}"
  export REDICT_SENTINEL_DIR=$_sentinel_dir
  echo "scripts: redis primary 127.0.0.1:$primary, replica 127.0.0.1:$replica, sentinels ${sentinels[*]}, ready in $((($(date +%s%N) - t0) / 1000000)) ms" >&2
}

# _sentinel_synced PRIMARY REPLICA succeeds when the replica's link is up
# and its sync done, and the primary counts it online.
_sentinel_synced() {
  local info
  info=$(redis-cli -h 127.0.0.1 -p "$2" info replication 2>/dev/null) || return 1
  case $info in *master_link_status:up*master_sync_in_progress:0*) ;; *) return 1 ;; esac
  info=$(redis-cli -h 127.0.0.1 -p "$1" info replication 2>/dev/null) || return 1
  case $info in *"slave0:ip=127.0.0.1,port=$2,state=online"*) ;; *) return 1 ;; esac
}

# _sentinel_ready PRIMARY REPLICA SENTINEL... succeeds when every Sentinel
# names PRIMARY as the master, is not in doubt about it, and sees REPLICA
# with its link up and the other Sentinels.
_sentinel_ready() {
  local primary=$1 replica=$2 s out n=$(($# - 3))
  shift 2
  for s in "$@"; do
    out=$(redis-cli -h 127.0.0.1 -p "${s#*:}" sentinel master "$_sentinel_master" 2>/dev/null | tr '\n' ' ') || return 1
    case $out in *"port $primary "*"flags master "*"num-slaves 1 "*"num-other-sentinels $n "*) ;; *) return 1 ;; esac
    out=$(redis-cli -h 127.0.0.1 -p "${s#*:}" sentinel replicas "$_sentinel_master" 2>/dev/null | tr '\n' ' ') || return 1
    case $out in *"ip 127.0.0.1 port $replica "*"flags slave "*"master-link-status ok "*) ;; *) return 1 ;; esac
  done
}

stop_sentinel() {
  [ -n "${_sentinel_dir:-}" ] || return 0
  scripts_stop_servers "$_sentinel_dir"
  rm -rf "$_sentinel_dir"
  _sentinel_dir=
  unset REDICT_SENTINEL_URL REDICT_SENTINEL_MASTER REDICT_SENTINEL_PRIMARY REDICT_SENTINEL_REPLICA \
    REDICT_SENTINEL_ADDRS REDICT_SENTINEL_DIR
}
