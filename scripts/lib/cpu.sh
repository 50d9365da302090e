# Sourced by the benchmarks: CPU time of processes from /proc, in clock ticks (getconf CLK_TCK a second).

ticks_per_second=$(getconf CLK_TCK)

# cpu_ticks PID: utime + stime of one process (0 when it is gone).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

# server_ticks PID: a server and everything it forked — its own utime + stime, the cutime + cstime of
# children it has reaped (PostgreSQL's ended backends, Redis's rewrite forks), and the utime + stime
# of its live children.
server_ticks() {
  # Fields after the command name (which may hold spaces): 2 ppid, 12 utime, 13 stime, 14 cutime, 15 cstime.
  # cat passes over processes that end while it reads; awk would stop at the first.
  { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v root="$1" '{
      pid = $1; rest = $0; sub(/^.*\) /, "", rest); split(rest, f, " ")
      if (pid == root) total += f[12] + f[13] + f[14] + f[15]
      else if (f[2] == root) total += f[12] + f[13]
    } END { print total + 0 }'
}

# per_unit TICKS UNITS: microseconds of CPU per unit of work.
per_unit() { awk -v t="$1" -v n="$2" -v hz="$ticks_per_second" 'BEGIN { if (n > 0) printf "%.0f", t * 1e6 / hz / n; else print "n/a" }'; }
