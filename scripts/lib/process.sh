# Process helpers shared by the crash and fault tests (sourced, not run).

# stop_pid PID: SIGTERM, then SIGKILL after 10 s; reaps it.
stop_pid() {
    local pid="$1" i
    [ -n "$pid" ] || return 0
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    { wait "$pid"; } 2>/dev/null || true
}

# now_ms: wall-clock milliseconds.
now_ms() { date +%s%3N; }
