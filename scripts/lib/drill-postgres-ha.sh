#!/usr/bin/env bash
# PostgreSQL failover drill (scripts/fault-drill --postgres-ha): the whole system on the
# pg_auto_failover formation of `scripts/services start-ha` while its primary fails.
#
# producer-api, three jobs and two consumer groups (inboxes on the same HA database) run under
# `pizza client` (DRILL_ORDERS, default 2000, at DRILL_RATE, default 50/s, a third with status
# changes). Meanwhile: the primary's keeper and postmaster are killed with kill -9 (the monitor
# promotes the standby); the killed node is started again and rejoins as standby; producer-api is
# restarted; a planned switchover moves the primary back. Then every order answered 201 must be in
# pizza_orders on the new primary, `pizza verify` must report nothing lost, duplicated or out of
# order for both groups, and no process may have died (no watchdog exit either). Prints how long
# writes were refused around each failover: the gap between the last 201 before it and the first after.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
. "$root/scripts/lib/net.sh"
. "$root/scripts/lib/drill.sh"

orders=${DRILL_ORDERS:-2000}
rate=${DRILL_RATE:-50}

scripts/services start >/dev/null
scripts/services start-ha >/dev/null
eval "$(scripts/services env)"
redis_port=${REDIS_URL##*:}
run_id=$(date +%s)_$$
schema=drill_ha_$run_id
topic=drill-ha-orders-$run_id
export DATABASE_URL="$HA_DATABASE_URL&schema=$schema"
export REDIS_URL
work=$(mktemp -d "${TMPDIR:-/tmp}/pizza-drill-ha.XXXXXX")
psql=("${PG_BIN:-/usr/lib/postgresql/15/bin}/psql" "$HA_DATABASE_URL" -v ON_ERROR_STOP=1 -qtA)


cleanup() {
  stop_all
  # A node the drill killed comes back, so that later steps and tests find the formation whole.
  scripts/services ha-run node1 >/dev/null 2>&1 || true
  scripts/services ha-run node2 >/dev/null 2>&1 || true
  scripts/services ha-wait-healthy 120 >/dev/null 2>&1 || true
  "${psql[@]}" -c "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true
  redis-cli -p "$redis_port" DEL "$topic" >/dev/null 2>&1 || true
}
trap cleanup EXIT

now_ms() { date +%s%3N; }

# The node (node1/node2) the monitor has as primary now; fails while there is none.
primary_node() { scripts/services ha-node-of-port "$(scripts/services ha-primary-port)"; }

say "logs in $work; schema $schema; stream $topic; primary is $(primary_node || echo none)"
"$pizza" migrate >"$work/migrate.log" 2>&1 || { cat "$work/migrate.log"; exit 1; }

free_port producer_port
producer_args=(producer-api --port "$producer_port" --no-migrate --database-timeout 3s)
job_args=(job --topic "$topic" --no-migrate --batch-size 50 --lease-seconds 10 --poll-interval 0.5 --database-timeout 3s)
consumer_args=(consumer-api --topic "$topic" --claim-idle 2 --handler-timeout 20s --database-timeout 3s --database-url "$DATABASE_URL")
start producer-api "${producer_args[@]}"
for j in 1 2 3; do start "job-$j" "${job_args[@]}"; done
declare -A consumer_ports=()
for spec in drill-a:a1 drill-a:a2 drill-b:b1 drill-b:b2; do
  group=${spec%%:*}; consumer=${spec##*:}
  free_port "consumer_ports[$consumer]"
  start "consumer-$consumer" "${consumer_args[@]}" --group "$group" --consumer "$consumer" --port "${consumer_ports[$consumer]}"
done
wait_ready producer-api "$producer_port"
for consumer in a1 a2 b1 b2; do wait_ready "consumer-$consumer" "${consumer_ports[$consumer]}"; done

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

# 1. The primary dies: keeper and postmaster, kill -9; the monitor promotes the standby.
wait_acknowledged 200
victim=$(primary_node) || { say "the monitor has no primary"; scripts/services status; exit 1; }
failover_at=$(now_ms)
scripts/services ha-kill "$victim" >/dev/null 2>&1
say "killed the primary $victim (keeper and postmaster, kill -9)"
promoted=
while [ "$(( $(now_ms) - failover_at ))" -lt 60000 ]; do
  node=$(primary_node || true)
  if [ -n "$node" ] && [ "$node" != "$victim" ]; then promoted=$node; break; fi
  sleep 0.2
done
[ -n "$promoted" ] || { say "no standby was promoted within 60 s"; scripts/services status; exit 1; }
say "the monitor promoted $promoted after $(( $(now_ms) - failover_at )) ms"
wait_acknowledged 400

# 2. The dead node comes back and rejoins as standby (pg_rewind if it must).
scripts/services ha-run "$victim"
scripts/services ha-wait-healthy 180 || { say "$victim did not rejoin as standby"; exit 1; }
say "$victim is back as standby"

# 3. producer-api restarts under load (clients see refused connections meanwhile).
say "restarting producer-api"
stop producer-api
[ "$stop_status" = 0 ] || { say "producer-api did not stop cleanly ($stop_status)"; tail -30 "$work/producer-api.log"; exit 1; }
start producer-api "${producer_args[@]}"
wait_ready producer-api "$producer_port"
wait_acknowledged 700

# 4. A planned switchover moves the primary back.
switchover_at=$(now_ms)
say "planned switchover"
scripts/services failover >/dev/null 2>&1 || { say "switchover failed"; scripts/services status; exit 1; }
say "switchover done in $(( $(now_ms) - switchover_at )) ms; primary is $(primary_node || echo none)"

wait "$client_pid" || true
tail -9 "$work/client.log"

# No process may have died, through its watchdog or otherwise.
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

# Every acknowledged order is on the primary now.
awk '$3 == 201 {print $4}' "$work/answers.txt" > "$work/acknowledged.txt"
acknowledged=$(wc -l < "$work/acknowledged.txt")
missing=$("${psql[@]}" <<SQL
CREATE TEMP TABLE acknowledged (id uuid);
\copy acknowledged FROM '$work/acknowledged.txt'
SELECT count(*) FROM acknowledged a WHERE NOT EXISTS (SELECT 1 FROM $schema.pizza_orders o WHERE o.id = a.id);
SQL
)
say "acknowledged (201): $acknowledged; missing from pizza_orders on the primary: $missing"

# How long writes were refused around each failover: the longest stretch between two consecutive
# 201 answers from just before the fault to 30 s after it.
gap() {
  awk '$3 == 201 {print $2}' "$work/answers.txt" | sort -n | awk -v t="$1" '
    $1 >= t - 1000 && $1 <= t + 30000 {
      if (last != "" && $1 - last > widest) { widest = $1 - last; from = last; to = $1 }
      last = $1
    }
    END {
      if (widest == "") print "unknown"
      else printf "%d ms (from %+d ms to %+d ms of the fault)\n", widest, from - t, to - t
    }'
}
say "writes refused around the kill -9 failover: $(gap "$failover_at")"
say "writes refused around the planned switchover: $(gap "$switchover_at")"
answers_late=$(awk '{ if ($2 - $1 > 4000) n++ } END { print n + 0 }' "$work/answers.txt")
say "answers later than the 3 s database deadline + 1 s: $answers_late"

say "verifying (up to 90 s for in-flight events)"
status=1
for _ in $(seq 1 45); do
  check_alive || break
  if "$pizza" verify --group drill-a --group drill-b >"$work/verify.log" 2>&1; then status=0; break; fi
  sleep 2
done
cat "$work/verify.log"
[ "$missing" = 0 ] || status=1
[ "$answers_late" = 0 ] || status=1
check_alive || status=1

finish "$status"
