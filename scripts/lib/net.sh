# Sourced by the scripts that start pizza processes: ports and readiness, with bash's /dev/tcp only
# (nothing to install).

# A TCP port on 127.0.0.1 that nothing listens on, below Linux's ephemeral range (32768 and up):
# a port there can be taken by an outgoing connection between this check and the server's bind.
free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 12000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
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
