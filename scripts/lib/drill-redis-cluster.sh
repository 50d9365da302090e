#!/usr/bin/env bash
# Redis Cluster drill (scripts/fault-drill --redis-cluster): the whole system on the 6-node cluster
# of `scripts/services start-cluster` while a master fails.
#
# producer-api, two jobs (a topic of 3 partitions, --redis-replicas 1: an event is marked only once
# its master's replica has it) and two consumer groups (drill-a with three members sharing the
# partitions, drill-b with one) run under `pizza client` (DRILL_ORDERS, default 2000, at DRILL_RATE,
# default 60/s, a third with status changes). Meanwhile: a master is killed with kill -9 (its
# replica is promoted); the dead node is started again and rejoins as a replica; one member of
# drill-a leaves and a new one joins (the partitions are rebalanced). Then `pizza verify` must
# report nothing lost, duplicated or out of order for both groups, no process may have died, and no
# consumer may have had to wait for an order's previous event (consumer_events_out_of_order_total
# is 0: each partition has one reader in its group). Prints how long the cluster took to promote.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
. "$root/scripts/lib/net.sh"
. "$root/scripts/lib/drill.sh"

orders=${DRILL_ORDERS:-2000}
rate=${DRILL_RATE:-60}

scripts/services start >/dev/null
scripts/services start-cluster >/dev/null
eval "$(scripts/services env)"
run_id=$(date +%s)_$$
schema=drill_cluster_$run_id
topic=drill-cluster-$run_id
base_database_url=$DATABASE_URL
export DATABASE_URL="$base_database_url?schema=$schema"
export REDIS_URL=$REDIS_CLUSTER_URL
work=$(mktemp -d "${TMPDIR:-/tmp}/pizza-drill-cluster.XXXXXX")
victim=

cleanup() {
  stop_all
  # The node the drill killed comes back, so that later steps and tests find the cluster whole.
  [ -n "$victim" ] && scripts/services cluster-run "$victim" >/dev/null 2>&1 || true
  scripts/services cluster-wait-ok 60 >/dev/null 2>&1 || true
  "${PG_BIN:-/usr/lib/postgresql/15/bin}/psql" "$base_database_url" -qc "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true
  # The topic's streams, leases and member sets, on whichever master holds them.
  for port in $(scripts/services cluster-masters 2>/dev/null); do
    redis-cli -p "$port" --scan --pattern "$topic*" 2>/dev/null | xargs -r -n 100 redis-cli -p "$port" DEL >/dev/null 2>&1 || true
  done
}
trap cleanup EXIT

now_ms() { date +%s%3N; }

say "logs in $work; schema $schema; topic $topic (3 partitions); masters on $(scripts/services cluster-masters | tr '\n' ' ')"
"$pizza" migrate >"$work/migrate.log" 2>&1 || { cat "$work/migrate.log"; exit 1; }

free_port producer_port
partitioned=(--topic "$topic" --partitions 3)
job_args=(job "${partitioned[@]}" --no-migrate --batch-size 50 --lease-seconds 10 --poll-interval 0.5 --database-timeout 3s
  --redis-replicas 1 --redis-replica-timeout 500ms)
consumer_args=(consumer-api "${partitioned[@]}" --claim-idle 3 --handler-timeout 20s --database-timeout 3s --database-url "$DATABASE_URL")
start producer-api producer-api --port "$producer_port" --no-migrate
start job-1 "${job_args[@]}"
start job-2 "${job_args[@]}"
declare -A consumer_ports=()
start_consumer() {
  local group=$1 consumer=$2
  free_port "consumer_ports[$consumer]"
  start "consumer-$consumer" "${consumer_args[@]}" --group "$group" --consumer "$consumer" --port "${consumer_ports[$consumer]}"
}
for spec in drill-a:a1 drill-a:a2 drill-a:a3 drill-b:b1; do start_consumer "${spec%%:*}" "${spec##*:}"; done
wait_ready producer-api "$producer_port"
for consumer in a1 a2 a3 b1; do wait_ready "consumer-$consumer" "${consumer_ports[$consumer]}"; done

say "client: $orders orders at $rate/s, a third of them with status changes"
"$pizza" client --url "http://127.0.0.1:$producer_port" --orders "$orders" --rate "$rate" --concurrency 16 \
  --status-changes 0.33 --allow-failures --answers "$work/answers.txt" >"$work/client.log" 2>&1 &
client_pid=$!

# Waits until at least $1 orders were answered 201 (the load is flowing), at most 60 s.
wait_acknowledged() {
  for _ in $(seq 1 600); do
    [ "$(awk '$3 == 201' "$work/answers.txt" 2>/dev/null | wc -l)" -ge "$1" ] && return 0
    sleep 0.1
  done
  say "fewer than $1 orders acknowledged after 60 s"; tail -20 "$work/client.log"; return 1
}

# 1. A master dies (kill -9); the cluster promotes its replica.
wait_acknowledged 300
victim=$(scripts/services cluster-masters | head -1)
killed_at=$(now_ms)
scripts/services cluster-kill "$victim" >/dev/null 2>&1
say "killed the master on port $victim (kill -9)"
promoted=
while [ "$(( $(now_ms) - killed_at ))" -lt 60000 ]; do
  masters=$(scripts/services cluster-masters | grep -vx "$victim" | wc -l || true)
  if [ "$masters" -ge 3 ] && scripts/services cluster-wait-ok 0 >/dev/null 2>&1; then promoted=1; break; fi
  sleep 0.2
done
[ -n "$promoted" ] || { say "no replica was promoted within 60 s"; scripts/services status; exit 1; }
say "a replica was promoted and the cluster is ok after $(( $(now_ms) - killed_at )) ms; masters $(scripts/services cluster-masters | tr '\n' ' ')"
wait_acknowledged 800

# 2. The dead node comes back and rejoins as a replica.
scripts/services cluster-run "$victim"
scripts/services cluster-wait-ok 60 || { say "the cluster is not ok after $victim came back"; exit 1; }
say "$victim is back ($(redis-cli -p "$victim" role | head -1))"
wait_acknowledged 1200

# 3. A member of drill-a leaves and another joins: the partitions move without two readers.
stop consumer-a2
[ "$stop_status" = 0 ] || { say "consumer-a2 did not stop cleanly ($stop_status)"; tail -30 "$work/consumer-a2.log"; exit 1; }
start_consumer drill-a a4
wait_ready consumer-a4 "${consumer_ports[a4]}"
say "consumer-a2 left drill-a, consumer-a4 joined"

wait "$client_pid" || true
tail -9 "$work/client.log"

check_alive() {
  local name pid code
  for name in "${!pids[@]}"; do
    pid=${pids[$name]}
    kill -0 "$pid" 2>/dev/null && continue
    code=0; wait "$pid" 2>/dev/null || code=$?
    say "$name died during the drill (status $code)"; tail -30 "$work/$name.log"; return 1
  done
}
check_alive

say "verifying (up to 90 s for in-flight events)"
status=1
for _ in $(seq 1 45); do
  check_alive || break
  if "$pizza" verify --group drill-a --group drill-b >"$work/verify.log" 2>&1; then status=0; break; fi
  sleep 2
done
cat "$work/verify.log"
check_alive || status=1

# One reader per partition: no event had to wait for its order's previous one.
out_of_order=0
for consumer in a1 a3 a4 b1; do
  n=$(curl -fsS "http://127.0.0.1:${consumer_ports[$consumer]}/metrics" | awk '/^consumer_events_out_of_order_total/ { s += $2 } END { print s + 0 }')
  out_of_order=$((out_of_order + n))
done
say "events that arrived before their order's previous event (consumer_events_out_of_order_total): $out_of_order"
[ "$out_of_order" = 0 ] || status=1
unconfirmed=$(grep -h "not confirmed by the broker's replicas" "$work"/job-*.log | grep -o 'outbox.batch.released=[0-9]*' | awk -F= '{ s += $2 } END { print s + 0 }')
say "events published but not confirmed by a replica (released and published again): $unconfirmed"

finish "$status"
