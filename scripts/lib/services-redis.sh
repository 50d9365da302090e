# Sourced by scripts/services: a Redis Cluster (3 masters, 3 replicas) and a TLS-only redis-server,
# both on ports of their own under $dir. Uses say/die/install_redis and test_certificates from there.

CLUSTER_PORTS=(${REDIS_CLUSTER_PORTS:-7001 7002 7003 7004 7005 7006})
REDIS_TLS_PORT=${REDIS_TLS_PORT:-6390}
cluster_dir=$dir/cluster
redis_tls_dir=$dir/redis-tls

cluster_node_running() {
  local pidfile=$cluster_dir/$1/redis.pid
  [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

# One node: cluster mode, a 2 s node timeout (failure detection, then a replica's promotion, in a
# few seconds), append-only with fsync on every write like the single server.
cluster_run_node() {
  local port=$1 node=$cluster_dir/$1
  cluster_node_running "$port" && return
  mkdir -p "$node"
  redis-server --port "$port" --bind 127.0.0.1 --dir "$node" --daemonize yes \
    --pidfile "$node/redis.pid" --logfile "$node/redis.log" \
    --cluster-enabled yes --cluster-config-file "$node/nodes.conf" --cluster-node-timeout 2000 \
    --appendonly yes --appendfsync always --save "" >/dev/null
  for _ in $(seq 1 100); do
    [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && return
    sleep 0.1
  done
  tail -20 "$node/redis.log" >&2
  die "cluster node $port did not start"
}

cluster_ok() {
  local port
  for port in "${CLUSTER_PORTS[@]}"; do
    redis-cli -p "$port" cluster info 2>/dev/null | grep -q '^cluster_state:ok' || return 1
  done
}

# Waits until every running node reports cluster_state:ok and every slot has a master.
cluster_wait_ok() {
  local seconds=${1:-60} port up
  for _ in $(seq 0 $((seconds * 10))); do
    up=1
    for port in "${CLUSTER_PORTS[@]}"; do
      cluster_node_running "$port" || continue
      redis-cli -p "$port" cluster info 2>/dev/null | grep -q '^cluster_state:ok' || { up=; break; }
    done
    [ -n "$up" ] && return 0
    sleep 0.1
  done
  return 1
}

start_cluster() {
  install_redis
  local port fresh=
  [ -f "$cluster_dir/created" ] || fresh=1
  if [ -n "$fresh" ]; then
    # A half-made cluster from an interrupted start is thrown away.
    stop_cluster >/dev/null 2>&1 || true
    rm -rf "$cluster_dir"
  fi
  for port in "${CLUSTER_PORTS[@]}"; do cluster_run_node "$port"; done
  if [ -n "$fresh" ]; then
    local addresses=()
    for port in "${CLUSTER_PORTS[@]}"; do addresses+=("127.0.0.1:$port"); done
    redis-cli --cluster create "${addresses[@]}" --cluster-replicas 1 --cluster-yes >"$cluster_dir/create.log" 2>&1 \
      || { tail -20 "$cluster_dir/create.log" >&2; die "redis-cli --cluster create failed"; }
    touch "$cluster_dir/created"
  fi
  cluster_wait_ok 60 || die "the cluster did not reach cluster_state:ok"
  say "redis cluster running on ports ${CLUSTER_PORTS[*]}"
}

stop_cluster() {
  local port pid
  for port in "${CLUSTER_PORTS[@]}"; do
    if cluster_node_running "$port"; then
      pid=$(cat "$cluster_dir/$port/redis.pid")
      kill "$pid"
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
  done
  say "redis cluster stopped"
}

cluster_url() {
  local seeds=()
  for port in "${CLUSTER_PORTS[@]:0:3}"; do seeds+=("127.0.0.1:$port"); done
  (IFS=,; echo "redis-cluster://${seeds[*]}")
}

# The ports of the current masters, from a node that answers.
cluster_master_ports() {
  local port
  for port in "${CLUSTER_PORTS[@]}"; do
    if redis-cli -p "$port" cluster nodes 2>/dev/null | awk '$3 ~ /master/ && $3 !~ /fail/ { split($2, a, "[:@]"); print a[2] }' | sort -n; then
      return
    fi
  done
}

cluster_status() {
  if [ ! -f "$cluster_dir/created" ]; then echo "redis-cluster: not set up"; return; fi
  local port states=()
  for port in "${CLUSTER_PORTS[@]}"; do
    if cluster_node_running "$port"; then
      states+=("$port:$(redis-cli -p "$port" role 2>/dev/null | head -1)")
    else
      states+=("$port:stopped")
    fi
  done
  echo "redis-cluster: ${states[*]}"
}

# --- A TLS-only redis-server, its certificate from the test CA ------------------------------------

redis_tls_running() { [ -f "$redis_tls_dir/redis.pid" ] && kill -0 "$(cat "$redis_tls_dir/redis.pid")" 2>/dev/null; }

start_redis_tls() {
  install_redis
  if redis_tls_running; then say "redis (TLS) already running on port $REDIS_TLS_PORT"; return; fi
  mkdir -p "$redis_tls_dir"
  test_certificates "$redis_tls_dir/tls"
  local tls=$redis_tls_dir/tls
  # No plain port; clients are not asked for certificates of their own.
  redis-server --port 0 --tls-port "$REDIS_TLS_PORT" --bind 127.0.0.1 --dir "$redis_tls_dir" --daemonize yes \
    --pidfile "$redis_tls_dir/redis.pid" --logfile "$redis_tls_dir/redis.log" \
    --tls-cert-file "$tls/server.crt" --tls-key-file "$tls/server.key" --tls-ca-cert-file "$tls/ca.crt" \
    --tls-auth-clients no --save "" >/dev/null
  local cli=(redis-cli --tls --cacert "$tls/ca.crt" -p "$REDIS_TLS_PORT")
  for _ in $(seq 1 100); do
    [ "$("${cli[@]}" ping 2>/dev/null)" = PONG ] && break
    sleep 0.1
  done
  [ "$("${cli[@]}" ping 2>/dev/null)" = PONG ] || { tail -20 "$redis_tls_dir/redis.log" >&2; die "redis (TLS) did not start"; }
  say "redis (TLS) running on port $REDIS_TLS_PORT"
}

stop_redis_tls() {
  if redis_tls_running; then
    local pid; pid=$(cat "$redis_tls_dir/redis.pid")
    kill "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    say "redis (TLS) stopped"
  fi
}
