#!/usr/bin/env bash
# PostgreSQL restart drill (scripts/fault-drill --postgres-restarts [N], default 20): the
# project's single PostgreSQL is restarted N times under `pizza client --rate 200` (DRILL_RATE)
# while producer-api, a job and a consumer-api with an inbox run. No process may exit (through its
# watchdog or otherwise), no request may be answered later than the database deadline (3 s) plus a
# second, and `pizza verify` must then report nothing lost, duplicated or out of order.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
. "$root/scripts/lib/net.sh"
. "$root/scripts/lib/drill.sh"

restarts=${1:-20}
rate=${DRILL_RATE:-200}

scripts/services start >/dev/null
eval "$(scripts/services env)"
redis_port=${REDIS_URL##*:}
base_database_url=$DATABASE_URL
run_id=$(date +%s)_$$
schema=drill_restarts_$run_id
topic=drill-restarts-$run_id
export DATABASE_URL="$base_database_url?schema=$schema"
export REDIS_URL
work=$(mktemp -d "${TMPDIR:-/tmp}/pizza-drill-restarts.XXXXXX")


cleanup() {
  stop_all
  scripts/services start >/dev/null 2>&1 || true
  "${PG_BIN:-/usr/lib/postgresql/15/bin}/psql" "$base_database_url" -qc "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true
  redis-cli -p "$redis_port" DEL "$topic" >/dev/null 2>&1 || true
}
trap cleanup EXIT

say "logs in $work; schema $schema; $restarts restarts at $rate orders/s"
"$pizza" migrate >"$work/migrate.log" 2>&1 || { cat "$work/migrate.log"; exit 1; }
free_port producer_port
free_port consumer_port
start producer-api producer-api --port "$producer_port" --no-migrate --database-timeout 3s
start job job --topic "$topic" --no-migrate --lease-seconds 10 --poll-interval 0.5 --database-timeout 3s
start consumer consumer-api --topic "$topic" --group drill-r --consumer r1 --port "$consumer_port" --claim-idle 2 \
  --handler-timeout 20s --database-timeout 3s --database-url "$DATABASE_URL"
wait_ready producer-api "$producer_port"
wait_ready consumer "$consumer_port"

# Enough orders to outlast the restarts (a restart and 100 acknowledged orders take about 2 s).
"$pizza" client --url "http://127.0.0.1:$producer_port" --orders $((rate * (restarts * 2 + 10))) --rate "$rate" \
  --concurrency 32 --allow-failures --answers "$work/answers.txt" >"$work/client.log" 2>&1 &
client_pid=$!

acknowledged() { awk '$3 == 201' "$work/answers.txt" 2>/dev/null | wc -l; }
# Waits until $1 more orders were answered 201 than at the call (load flows again), at most 60 s.
wait_more_acknowledged() {
  local target=$(( $(acknowledged) + $1 ))
  for _ in $(seq 1 600); do
    [ "$(acknowledged)" -ge "$target" ] && return 0
    sleep 0.1
  done
  say "writes did not resume within 60 s"; tail -20 "$work/producer-api.log"; return 1
}

wait_more_acknowledged 200
for i in $(seq 1 "$restarts"); do
  scripts/services stop-postgres >/dev/null 2>&1
  scripts/services start-postgres >/dev/null 2>&1
  wait_more_acknowledged 100
  for name in "${!pids[@]}"; do
    kill -0 "${pids[$name]}" 2>/dev/null || { say "$name exited after restart $i"; tail -30 "$work/$name.log"; exit 1; }
  done
  say "restart $i/$restarts: everyone still up, $(acknowledged) orders acknowledged"
done
wait "$client_pid" || true
tail -8 "$work/client.log"

status=0
late=$(awk '{ if ($2 - $1 > 4000) n++ } END { print n + 0 }' "$work/answers.txt")
slowest=$(awk 'BEGIN { m = 0 } { if ($2 - $1 > m) m = $2 - $1 } END { print m }' "$work/answers.txt")
answered=$(wc -l < "$work/answers.txt")
refused=$(awk '$3 == 503' "$work/answers.txt" | wc -l)
# grep -c exits 1 when no log has the line (a run without a single deadline): not a failure.
deadlines=$({ grep -c "passed its deadline" "$work"/*.log || true; } | awk -F: '{ n += $2 } END { print n + 0 }')
say "answers: $answered ($(acknowledged) 201, $refused 503); slowest ${slowest} ms; later than 4 s: $late; calls past their deadline: $deadlines"
[ "$late" = 0 ] || status=1
if grep -l "relay stuck\|stuck: one unit of work" "$work"/*.log >/dev/null 2>&1; then say "a watchdog fired"; status=1; fi

say "verifying (up to 90 s for in-flight events)"
verified=1
for _ in $(seq 1 45); do
  if "$pizza" verify --group drill-r >"$work/verify.log" 2>&1; then verified=0; break; fi
  sleep 2
done
cat "$work/verify.log"
[ "$verified" = 0 ] || status=1
finish "$status"
