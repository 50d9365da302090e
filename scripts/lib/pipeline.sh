# Sourced by the benchmark scripts (soak, bench-telemetry, profile): the three programs of the
# pipeline — producer-api, job, consumer-api with its inbox — on the servers of scripts/services.
# Expects $pizza, $work, $base_url and scripts/lib/net.sh; `pids` collects what is running.

# pipeline_start SCHEMA TOPIC [env arguments…]: migrates SCHEMA, starts the three programs (env(1)
# arguments such as VAR=value or -u VAR apply to them; their inbox is SCHEMA_inbox) and waits until
# both APIs are ready; PIPELINE_JOB_ARGS are added to the job's arguments. Sets producer_pid, job_pid, consumer_pid, producer_port and consumer_port.
pipeline_start() {
  local schema=$1 topic=$2; shift 2
  local env=(env "$@" DATABASE_URL="$base_url?schema=$schema")
  PGOPTIONS="-c client_min_messages=warning" "${PG_BIN:-/usr/lib/postgresql/15/bin}/psql" "$base_url" -qtAX \
    -c "DROP SCHEMA IF EXISTS $schema CASCADE" -c "DROP SCHEMA IF EXISTS ${schema}_inbox CASCADE"
  "${env[@]}" "$pizza" migrate --log-level warning
  free_port producer_port consumer_port
  "${env[@]}" "$pizza" producer-api --port "$producer_port" --no-migrate --database-connections 32 --log-level warning \
    >>"$work/producer-api.log" 2>&1 &
  producer_pid=$!
  # shellcheck disable=SC2086
  "${env[@]}" "$pizza" job --topic "$topic" --no-migrate --log-level warning ${PIPELINE_JOB_ARGS:-} >>"$work/job.log" 2>&1 &
  job_pid=$!
  "${env[@]}" "$pizza" consumer-api --port "$consumer_port" --topic "$topic" --group pipeline \
    --database-url "$base_url?schema=${schema}_inbox" --log-level warning >>"$work/consumer-api.log" 2>&1 &
  consumer_pid=$!
  pids=("$producer_pid" "$job_pid" "$consumer_pid")
  if ! is_ready "$producer_port" || ! is_ready "$consumer_port"; then
    echo "a program of the pipeline did not start; logs in $work" >&2
    tail -5 "$work"/*.log >&2
    return 1
  fi
}

# pipeline_wait_received COUNT: until the consumer has received COUNT events (at most 60 s).
pipeline_wait_received() {
  local received
  for _ in $(seq 1 600); do
    received=$(curl -fsS "http://127.0.0.1:$consumer_port/stats" | sed -n 's/.*"received":\([0-9]*\).*/\1/p')
    [ "${received:-0}" -ge "$1" ] && return 0
    sleep 0.1
  done
  return 1
}

# pipeline_stop: SIGTERM to the three, and waits for them.
pipeline_stop() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}
