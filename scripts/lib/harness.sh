# The harness shared by the crash and fault tests (sourced, not run): prerequisites, the work
# directory and its cleanup, the simulator, the daemon's config and accounts, the final graceful
# stop and the checks' verdict.
#
# Needs: $name (the script's name, for messages and the work directory), $root (the repository),
# $bin (the postsync binary, or empty for the release build), $keep (1 keeps the work directory),
# $cleanup_pids (names of the variables holding the PIDs to stop at exit, in that order).
# Optional: a function cleanup_hook, run at exit after the PIDs are stopped and before the work
# directory goes (it sees $failed and $keep).

source "$root/scripts/lib/process.sh"

# require_prerequisites: the binary and the tools, or exit 2.
require_prerequisites() {
    [ -n "$bin" ] || bin="$root/.build/release/postsync"
    if [ ! -x "$bin" ]; then
        echo "$name: $bin not found; build it with: swift build -c release --product postsync" >&2
        exit 2
    fi
    local tool
    for tool in curl python3; do
        command -v "$tool" >/dev/null || { echo "$name: $tool is required" >&2; exit 2; }
    done
}

# make_work_dir: sets $work (/tmp/postsync-<what>.XXXXXX), $state, $sock and $failed (1 until the
# checks pass), and traps EXIT, INT and TERM: at exit every PID named in $cleanup_pids is stopped
# and the work directory removed, unless --keep was given or a check failed.
make_work_dir() {
    work="$(mktemp -d "/tmp/postsync-${name%-test}.XXXXXX")"
    state="$work/state"
    sock="$state/control.sock"
    failed=1
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

cleanup() {
    local rc=$? variable
    trap - EXIT INT TERM
    for variable in $cleanup_pids; do stop_pid "${!variable}"; done
    if declare -F cleanup_hook >/dev/null; then cleanup_hook || true; fi
    if [ "$keep" = 1 ] || [ "$failed" != 0 ]; then
        echo "$name: work directory kept: $work" >&2
    else
        rm -rf "$work"
    fi
    exit "$rc"
}

# log MESSAGE...: a timestamped line on stderr.
log() { printf '[%s %s] %s\n' "$name" "$(date +%H:%M:%S)" "$*" >&2; }

# start_simulator TENTHS [simulate options...]: picks a free port, sets $port and $sim, starts
# `postsync simulate` in the background ($sim_pid, log in $work/simulate.log) and waits up to
# TENTHS tenths of a second for it to listen, or exits 1.
start_simulator() {
    local tenths=$1
    shift
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
    sim="http://127.0.0.1:$port"
    "$bin" simulate --listen "127.0.0.1:$port" "$@" >"$work/simulate.log" 2>&1 &
    sim_pid=$!
    for _ in $(seq 1 "$tenths"); do grep -q listening "$work/simulate.log" 2>/dev/null && break; sleep 0.1; done
    grep -q listening "$work/simulate.log" || { log "the simulator did not start:"; cat "$work/simulate.log" >&2; exit 1; }
}

# write_config [tiktok lines...] <YAML: $work/postsync.yaml pointed at the simulator, the lines
# added to its tiktok section, no HTTP listener, then the rest of the config from stdin.
write_config() {
    {
        cat <<YAML
instagram:
  graph_url: $sim
  facebook_graph_url: $sim
tiktok:
  api_url: $sim
  client_key: sim-client-key
  client_secret: sim-client-secret
YAML
        [ $# -eq 0 ] || printf '%s\n' "$@"
        printf '%s\n' 'http:' '  listen: "off"'
        cat
    } >"$work/postsync.yaml"
}

# import_accounts: every simulated account with `postsync dev-import`, or exit 1: into the store
# $work/postsync.yaml selects when it is written already (a database section: PostgreSQL), else
# into $state's SQLite file.
import_accounts() {
    local config=()
    [ ! -f "$work/postsync.yaml" ] || config=(--config "$work/postsync.yaml")
    "$bin" dev-import --simulator "$sim" "${config[@]}" --state-dir "$state" >"$work/dev-import.log" 2>&1 \
        || { log "dev-import failed:"; cat "$work/dev-import.log" >&2; exit 1; }
}

# stop_daemon: SIGTERM to $daemon_pid and up to 70 s to exit (then SIGKILL); sets $term_rc to
# its exit code (or "timeout") and clears $daemon_pid.
stop_daemon() {
    kill -TERM "$daemon_pid"
    term_rc=0
    for _ in $(seq 1 700); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$daemon_pid" 2>/dev/null; then
        log "the daemon did not exit within 70 s of SIGTERM; killing it"
        # One redirected group: bash reports a job killed by a signal ("Killed") when it reaps it.
        { kill -KILL "$daemon_pid"; wait "$daemon_pid"; } 2>/dev/null || true
        term_rc="timeout"
    else
        { wait "$daemon_pid"; } 2>/dev/null || term_rc=$?
    fi
    daemon_pid=""
}

# run_checks ARGS... <PYTHON: runs the checks (a Python program on stdin, with ARGS and the
# helpers of scripts/lib/checks.py importable) and exits with their status; a pass lets the
# work directory go.
run_checks() {
    local rc=0
    # No bytecode cache: it would land in scripts/lib.
    PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$root/scripts/lib${PYTHONPATH:+:$PYTHONPATH}" python3 - "$@" || rc=$?
    if [ "$rc" -eq 0 ]; then failed=0; fi
    exit "$rc"
}
