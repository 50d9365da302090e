# Sourced by the scripts that start pizza processes: ports and readiness, with bash's /dev/tcp only
# (nothing to install).

# free_port NAME…: sets each variable NAME to a TCP port on 127.0.0.1 that nothing listens on and
# that this shell has not handed out before — the servers bind later, in the background, so a port
# checked free twice before either binds would otherwise go to both. Below Linux's ephemeral range
# (32768 and up): a port there can be taken by an outgoing connection between this check and the bind.
declare -A _handed_out_ports=()
free_port() {
  # Locals with names no caller uses: printf -v would otherwise set the local, not the caller's.
  local _free_port_name _free_port_value
  for _free_port_name in "$@"; do
    while :; do
      _free_port_value=$((20000 + RANDOM % 12000))
      [ -z "${_handed_out_ports[$_free_port_value]:-}" ] || continue
      if ! (exec 3<>"/dev/tcp/127.0.0.1/$_free_port_value") 2>/dev/null; then break; fi
    done
    _handed_out_ports[$_free_port_value]=1
    printf -v "$_free_port_name" '%s' "$_free_port_value"
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
