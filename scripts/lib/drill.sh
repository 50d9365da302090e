# Sourced by the fault drills: the binary, logging, background pizza processes and their
# supervision. `start` and `stop` expect $work (a folder for logs) to be set.

# The pizza binary: PIZZA_BIN, or a debug build of this checkout.
pizza=${PIZZA_BIN:-}
if [ -z "$pizza" ]; then
  swift build --product pizza >&2
  pizza="$(swift build --show-bin-path)/pizza"
fi

say() { printf '[drill %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# wait_ready NAME PORT: the process started as NAME answers /readyz on PORT — and is still running,
# so that another program answering on that port does not pass for it.
wait_ready() {
  if is_ready "$2" && kill -0 "${pids[$1]}" 2>/dev/null; then return 0; fi
  say "$1 on port $2 never became ready"; tail -30 "$work/$1.log"; return 1
}

declare -A pids=() argv=()
# start NAME ARGS…: runs `pizza ARGS…` in the background, output appended to $work/NAME.log.
start() {
  local name=$1; shift
  argv[$name]=$(printf '%q ' "$@")
  "$pizza" "$@" >>"$work/$name.log" 2>&1 &
  pids[$name]=$!
}

# stop NAME: SIGTERM, then waits (SIGKILL after 40 s); sets stop_status to the exit status (or "timeout").
stop() {
  local name=$1 pid=${pids[$1]} exit_status=0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 400); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    exit_status=timeout; kill -KILL "$pid"; wait "$pid" 2>/dev/null || true
  else
    wait "$pid" 2>/dev/null || exit_status=$?
  fi
  unset "pids[$name]"
  stop_status=$exit_status
}

stop_all() {
  for name in "${!pids[@]}"; do kill -TERM "${pids[$name]}" 2>/dev/null || true; done
  for name in "${!pids[@]}"; do wait "${pids[$name]}" 2>/dev/null || true; done
}

# finish STATUS: stops every process (one that does not stop cleanly on SIGTERM fails the drill),
# says how it went and exits with the drill's status.
finish() {
  local status=$1 name
  for name in "${!pids[@]}"; do
    stop "$name"
    if [ "$stop_status" != 0 ]; then say "$name did not stop cleanly ($stop_status)"; tail -30 "$work/$name.log"; status=1; fi
  done
  if [ "$status" = 0 ]; then say "PASSED"; else say "FAILED (logs in $work)"; fi
  exit "$status"
}
