# Sourced by the scripts that start pizza processes: ports and readiness, with bash's /dev/tcp only
# (nothing to install).

# free_port NAME…: sets each variable NAME to a TCP port on 127.0.0.1 that nothing listens on and
# that this shell has not handed out before — the servers bind later, in the background, so a port
# checked free twice before either binds would otherwise go to both. Below Linux's ephemeral range
# (32768 and up): a port there can be taken by an outgoing connection between this check and the bind.
declare -A _handed_out_ports=()
free_port() {
  local name port
  for name in "$@"; do
    while :; do
      port=$((20000 + RANDOM % 12000))
      [ -z "${_handed_out_ports[$port]:-}" ] || continue
      if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    done
    _handed_out_ports[$port]=1
    printf -v "$name" '%s' "$port"
  done
}

# The status line of GET http://127.0.0.1:$1$2, or nothing when no one answers.
http_status() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1" && printf 'GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n' "$2" >&3 && head -1 <&3) 2>/dev/null || true
}

# Succeeds once GET /readyz on port $1 answers 200, fails after 60 s.
is_ready() {
  for _ in $(seq 1 600); do
    case "$(http_status "$1" /readyz)" in *" 200"*) return 0 ;; esac
    sleep 0.1
  done
  return 1
}
