#!/usr/bin/env bash
# Benchmark: `postsync serve --once` against `postsync simulate`, cold sync of N accounts x 50 posts.
# Prints wall time, posts/s and peak RSS of the daemon for each N; with --postgres, compares the
# PostgreSQL store with SQLite and with a raw psql load (run --help for the details).
#
#   scripts/bench-sync.sh                 # N = 1000 and 10000
#   scripts/bench-sync.sh 200 2000        # other sizes
#   scripts/bench-sync.sh --postgres 1000 # SQLite vs PostgreSQL, psql baseline, round trips
#   BENCH_CONCURRENCY=16 scripts/bench-sync.sh
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: scripts/bench-sync.sh [--postgres] [--check] [N...]

For each N (default 1000 10000): starts `postsync simulate` (seed 7, N accounts, half Instagram,
half TikTok, $BENCH_POSTS posts each, default 50), imports its accounts and times one cold
`postsync serve --once`: wall time, posts/s, peak RSS, API calls, failed runs.

  --postgres   per N, the SQLite cold sync and then the PostgreSQL one (each against a fresh
               simulator with the same seed), and:
                 wall time      PostgreSQL / SQLite, must be <= 1.5
                 ingest rate    the daemon's posts per second of server CPU time (the CPU the
                                PostgreSQL processes used during its cold sync: every statement
                                it ran, post_metrics, sync_log and schedules included) against a
                                raw psql load of the same rows (exported from the daemon's
                                tables) into fresh copies of posts and post_metrics (same
                                columns, keys and indexes): per account one multi-row INSERT ...
                                ON CONFLICT (platform, post_id) DO UPDATE of its 50 posts and one
                                multi-row INSERT of their 50 history rows, all in one transaction
                                (psql -1), best of 3, rows per second of server CPU time; the
                                ratio must be >= 0.5. CPU time, not elapsed time: the daemon's
                                wall time is mostly HTTP to the simulator, and the time of its
                                statements grows when the daemon, the simulator and the server
                                share the CPUs. The ratio of wall-time rates is printed for
                                information; it is the checked one when the server is not on
                                this machine (its processes cannot be read).
                 round trips    a long-running `serve` on the synced database, through a proxy
                                that counts the client's round trips (each Sync or simple
                                Query): `sync --all --wait` twice with nothing changed in the
                                simulator; the second pass's round trips / N is the steady-state
                                figure (aim <= 3, reported, not checked), with the statements it
                                is made of, and what the first run of a worker adds
               Needs psql. Without $POSTSYNC_TEST_DATABASE_URL the script runs itself inside
               scripts/with-postgres.sh (a throwaway server); with it, it uses that database
               (schemas postsync_bench_N and postsync_bench_raw, dropped at the end).
  --check      exit 1 when a check fails (without it the verdicts are printed, the exit is 0);
               a failed run or a missing post is always a failure of the check
  -h, --help   this help

Environment: POSTSYNC_BIN (the binary; else `swift build -c release --product postsync` first),
BENCH_POSTS (50), BENCH_CONCURRENCY (sync.max_concurrent and database.max_connections, 8),
BENCH_PORT (the simulator's port, 18799), BENCH_PROXY_PORT (the counting proxy's, 18798).
EOF
}

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
args=("$@")
postgres=0
check=0
sizes=()
while [ $# -gt 0 ]; do
    case "$1" in
        --postgres) postgres=1; shift ;;
        --check) check=1; shift ;;
        -h|--help) usage; exit 0 ;;
        -*) echo "bench-sync: unknown option: $1 (see --help)" >&2; exit 2 ;;
        *) [[ "$1" =~ ^[0-9]+$ ]] || { echo "bench-sync: not a size: $1" >&2; exit 2; }; sizes+=("$1"); shift ;;
    esac
done
[ ${#sizes[@]} -eq 0 ] && sizes=(1000 10000)
posts=${BENCH_POSTS:-50}
concurrency=${BENCH_CONCURRENCY:-8}
port=${BENCH_PORT:-18799}
proxy_port=${BENCH_PROXY_PORT:-18798}

# Before building: the re-run inside with-postgres.sh would build a second time.
if [ "$postgres" = 1 ] && [ -z "${POSTSYNC_TEST_DATABASE_URL:-}" ]; then
    exec "$root/scripts/with-postgres.sh" "$root/scripts/bench-sync.sh" "${args[@]}"
fi
if [ "$postgres" = 1 ]; then
    command -v psql >/dev/null || { echo "bench-sync: --postgres needs psql (Debian: postgresql-client)" >&2; exit 2; }
fi

source scripts/lib/bench-common.sh
bin=${POSTSYNC_BIN:-$(release_binary postsync)}
work=$(mktemp -d /tmp/postsync-bench.XXXXXX)
sim_pid=""
proxy_pid=""
serve_pid=""
db_url="${POSTSYNC_TEST_DATABASE_URL:-}"
schemas=()
cleanup() {
    local pid schema
    for pid in "$serve_pid" "$proxy_pid" "$sim_pid"; do
        [ -n "$pid" ] && { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }
    done
    # The server may be someone's: leave no benchmark schema behind.
    for schema in "${schemas[@]}"; do
        psql -X -q "$db_url" -c "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true
    done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM


# synclog_figures FILE [SKIP]: "api_calls failed posts_synced" of the entries after the first SKIP.
synclog_figures() {
    python3 -c "
import json,sys
c=f=s=0
for l in list(open(sys.argv[1]))[int(sys.argv[2]):]:
    e=json.loads(l); c+=e['apiCalls']; f+=e['status']=='error'; s+=e['postsSynced']
print(c, f, s)" "$1" "${2:-0}"
}

stop_simulator() { kill "$sim_pid"; wait "$sim_pid" 2>/dev/null || true; sim_pid=""; }

if [ "$postgres" = 0 ]; then
    failures=0
    printf '%-9s %-7s %-10s %-10s %-10s %-10s %-9s\n' accounts posts wall_s posts_per_s peak_rss_mb api_calls failed
    for n in "${sizes[@]}"; do
        state="$work/state-$n"
        start_simulator "$port" "$n" "$posts"
        write_config "$work/config-$n.yaml" "$port" "sync:" "  max_concurrent: $concurrency" "http:" '  listen: "off"'
        "$bin" dev-import --simulator "http://127.0.0.1:$port" --state-dir "$state" >/dev/null
        read -r wall rss_kb _ < <(timed_once "$work/config-$n.yaml" "$state" "$work/time-$n")
        stored=$(count_posts "$state/postsync.sqlite")
        read -r api failed _ < <(synclog_figures "$state/synclog.jsonl")
        rate=$(python3 -c "print(round($stored / max($wall, 0.001)))")
        printf '%-9s %-7s %-10s %-10s %-10s %-10s %-9s\n' "$n" "$stored" "$wall" "$rate" "$((rss_kb / 1024))" "$api" "$failed"
        [ "$failed" = 0 ] && [ "$stored" = $((n * posts)) ] || failures=$((failures + 1))
        stop_simulator
    done
    [ "$check" = 1 ] && [ "$failures" -gt 0 ] && exit 1
    exit 0
fi

# ---------------------------------------------------------------------------------------------
# --postgres

# psql, without the NOTICEs of DROP ... CASCADE.
pg() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 "$db_url" "$@"; }
read -r db_host db_port < <(python3 -c "
import sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1]); print(u.hostname or '127.0.0.1', u.port or 5432)" "$db_url")
# The same URL with the proxy's address, for the round-trip runs.
proxy_url="$(python3 -c "
import sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
print(u._replace(netloc=(u.username + '@' if u.username else '') + '127.0.0.1:' + sys.argv[2]).geturl())" "$db_url" "$proxy_port")"
raw=postsync_bench_raw
schemas+=("$raw")
# The server's process, when it runs on this machine and we may read its data directory (the
# with-postgres.sh server, run as us or, when we are root, as postgres): its CPU time is the
# database work of whatever ran meanwhile (see server_cpu).
postmaster=""
if data_dir=$(pg -At -c "SHOW data_directory" 2>/dev/null) && [ -r "$data_dir/postmaster.pid" ]; then
    postmaster=$(head -n 1 "$data_dir/postmaster.pid")
    [ -r "/proc/$postmaster/stat" ] || postmaster=""
fi

# database_lines URL SCHEMA: the database section of a config.
database_lines() {
    printf '%s\n' "database:" "  url: $1" "  schema: $2" "  tls: disable" "  max_connections: $concurrency"
}

# server_cpu: CPU seconds the server has used so far: the postmaster's own and its reaped
# children's (backends that ended), plus its live children's (other backends, the background
# processes). Read after a pause, so that the backends of what just ended are reaped; it opens
# no session, so it adds nothing itself. Unlike the time statements take (pg_stat_database
# active_time), it does not grow when the daemon, the simulator and the server share the CPUs.
server_cpu() {
    sleep 0.5
    python3 - "$postmaster" <<'PY'
import os, sys
postmaster, ticks = int(sys.argv[1]), 0
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        text = open(f"/proc/{pid}/stat").read()
    except OSError:
        continue
    fields = text[text.rindex(")") + 2 :].split()  # fields[1] is ppid, [11:15] utime stime cutime cstime
    if int(pid) == postmaster:
        ticks += sum(map(int, fields[11:15]))
    elif int(fields[1]) == postmaster:
        ticks += int(fields[11]) + int(fields[12])
print(ticks / os.sysconf("SC_CLK_TCK"))
PY
}

# start_proxy LOG / stop_proxy: the round-trip counter (scripts/lib/pg-roundtrips.py) on $proxy_port.
start_proxy() {
    : >"$1"
    python3 "$root/scripts/lib/pg-roundtrips.py" "$proxy_port" "$db_host" "$db_port" "$1" >"$work/proxy.out" 2>&1 &
    proxy_pid=$!
    for _ in $(seq 1 100); do grep -q listening "$work/proxy.out" 2>/dev/null && return 0; sleep 0.1; done
    echo "bench-sync: the proxy did not start: $(cat "$work/proxy.out")" >&2
    exit 1
}
stop_proxy() { kill "$proxy_pid"; wait "$proxy_pid" 2>/dev/null || true; proxy_pid=""; }

# verdict NAME VALUE OP LIMIT: prints the figure and PASS or FAIL, counting failures.
failures=0
verdict() {
    local ok
    ok=$(python3 -c "print(int($2 $3 $4))")
    [ "$ok" = 1 ] || failures=$((failures + 1))
    printf '%-50s %7s  %-8s %s\n' "$1" "$2" "$3 $4" "$([ "$ok" = 1 ] && echo PASS || echo FAIL)"
}
info() { printf '%-50s %7s  %-8s %s\n' "$1" "$2" "" "(information)"; }

for n in "${sizes[@]}"; do
    schema="postsync_bench_$n"
    schemas+=("$schema")
    pg -c "DROP SCHEMA IF EXISTS $schema CASCADE"
    echo
    echo "== $n accounts x $posts posts (seed 7, sync.max_concurrent $concurrency, database.max_connections $concurrency)"
    printf '%-11s %-7s %-9s %-11s %-12s %-10s %-7s %s\n' store posts wall_s posts_per_s peak_rss_mb api_calls failed server_cpu_s

    # SQLite, then PostgreSQL, each against a fresh simulator: both see the same accounts and posts.
    for store in sqlite postgresql; do
        state="$work/state-$store-$n"
        config="$work/config-$store-$n.yaml"
        start_simulator "$port" "$n" "$posts"
        extra=()
        [ "$store" = postgresql ] && mapfile -t extra < <(database_lines "$db_url" "$schema")
        write_config "$config" "$port" "sync:" "  max_concurrent: $concurrency" "http:" '  listen: "off"' "${extra[@]}"
        "$bin" dev-import --simulator "http://127.0.0.1:$port" --config "$config" --state-dir "$state" \
            >"$work/import-$store-$n.log" 2>&1 || { cat "$work/import-$store-$n.log" >&2; exit 1; }
        db_s=""
        [ "$store" = postgresql ] && [ -n "$postmaster" ] && cpu_before=$(server_cpu)
        read -r wall rss_kb _ < <(timed_once "$config" "$state" "$work/time-$store-$n")
        if [ "$store" = sqlite ]; then
            stored=$(count_posts "$state/postsync.sqlite")
        else
            [ -n "$postmaster" ] && db_s=$(python3 -c "print(round($(server_cpu) - $cpu_before, 2))")
            stored=$(pg -At -c "SELECT count(*) FROM $schema.posts")
        fi
        read -r api failed _ < <(synclog_figures "$state/synclog.jsonl")
        rate=$(python3 -c "print(round($stored / max($wall, 0.001)))")
        printf '%-11s %-7s %-9s %-11s %-12s %-10s %-7s %s\n' "$store" "$stored" "$wall" "$rate" "$((rss_kb / 1024))" \
            "$api" "$failed" "$db_s"
        if [ "$failed" != 0 ] || [ "$stored" != $((n * posts)) ]; then
            failures=$((failures + 1))
            echo "bench-sync: $store: $failed failed run(s), $stored of $((n * posts)) posts stored; the daemon's stderr:" >&2
            tail -n 20 "$work/time-$store-$n.err" >&2
        fi
        eval "${store}_wall=$wall ${store}_stored=$stored ${store}_db=$db_s"
        [ "$store" = sqlite ] && stop_simulator
    done

    # Round trips of steady-state syncs: a long-running `serve` through the counting proxy (the
    # simulator still runs, with the tokens of the cold sync, and serves the same pages again).
    # `sync --all --wait` twice: the first run of a worker also reads what the worker then keeps
    # in memory; the second is the steady state. Nothing is due on the schedule meanwhile (the
    # cold sync put every next run 15 min +- 10% ahead).
    pg_state="$work/state-postgresql-$n"
    rt_config="$work/config-roundtrips-$n.yaml"
    mapfile -t extra < <(database_lines "$proxy_url" "$schema")
    write_config "$rt_config" "$port" "http:" '  listen: "off"' "${extra[@]}"
    rt_log="$work/roundtrips-$n.log"
    start_proxy "$rt_log"
    "$bin" serve --config "$rt_config" --state-dir "$pg_state" --log-level warning >/dev/null 2>"$work/serve-$n.err" &
    serve_pid=$!
    for _ in $(seq 1 300); do
        "$bin" status --config "$rt_config" --state-dir "$pg_state" >/dev/null 2>&1 && break
        sleep 0.1
    done
    marks=()
    for pass in first steady; do
        marks+=("$(wc -l <"$rt_log")" "$(wc -l <"$pg_state/synclog.jsonl")")
        "$bin" sync --all --wait --config "$rt_config" --state-dir "$pg_state" >"$work/sync-$pass-$n.out" 2>&1 || true
    done
    marks+=("$(wc -l <"$rt_log")" "$(wc -l <"$pg_state/synclog.jsonl")")
    kill -TERM "$serve_pid"; wait "$serve_pid" 2>/dev/null || true; serve_pid=""
    stop_proxy
    stop_simulator
    read -r _ steady_failed steady_synced < <(synclog_figures "$pg_state/synclog.jsonl" "${marks[3]}")
    steady_runs=$((marks[5] - marks[3]))

    # The psql baseline: the daemon's rows as one multi-row upsert per account, loaded into a
    # fresh copy of the table (keys and indexes included) in one transaction; best of 3.
    pg -At -o "$work/load-$n.sql" <<SQL
SELECT format('INSERT INTO $raw.posts (platform, post_id, account_id, caption, media_type, permalink, published_at,'
    ' like_count, comment_count, view_count, share_count, save_count, reach, first_seen_at, updated_at) VALUES %s'
    ' ON CONFLICT (platform, post_id) DO UPDATE SET caption = EXCLUDED.caption, media_type = EXCLUDED.media_type,'
    ' permalink = EXCLUDED.permalink, published_at = EXCLUDED.published_at, like_count = EXCLUDED.like_count,'
    ' comment_count = EXCLUDED.comment_count, view_count = EXCLUDED.view_count, share_count = EXCLUDED.share_count,'
    ' save_count = EXCLUDED.save_count, reach = EXCLUDED.reach, updated_at = EXCLUDED.updated_at;',
    string_agg(format('(%L, %L, %L, %L, %L, %L, %L, %L, %L, %L, %L, %L, %L, %L, %L)', platform, post_id, account_id,
        caption, media_type, permalink, published_at, like_count, comment_count, view_count, share_count, save_count,
        reach, first_seen_at, updated_at), ', '))
FROM $schema.posts GROUP BY account_id ORDER BY account_id;
SQL
    # The daemon also writes a post_metrics row per new post: the baseline writes the same rows,
    # one multi-row INSERT per account, so both sides store the same data.
    pg -At <<SQL >>"$work/load-$n.sql"
SELECT format('INSERT INTO $raw.post_metrics (platform, post_id, observed_at, like_count, comment_count, view_count,'
    ' share_count, save_count, reach) VALUES %s;',
    string_agg(format('(%L, %L, %L, %L, %L, %L, %L, %L, %L)', m.platform, m.post_id, m.observed_at, m.like_count,
        m.comment_count, m.view_count, m.share_count, m.save_count, m.reach), ', '))
FROM $schema.post_metrics m JOIN $schema.posts p USING (platform, post_id) GROUP BY p.account_id ORDER BY p.account_id;
SQL
    statements=$(grep -c '^INSERT' "$work/load-$n.sql")
    best="" best_db=""
    for _ in 1 2 3; do
        pg -c "DROP SCHEMA IF EXISTS $raw CASCADE" -c "CREATE SCHEMA $raw" \
            -c "CREATE TABLE $raw.posts (LIKE $schema.posts INCLUDING ALL)" \
            -c "CREATE TABLE $raw.post_metrics (LIKE $schema.post_metrics INCLUDING ALL)"
        [ -n "$postmaster" ] && cpu_before=$(server_cpu)
        start_ns=$(date +%s%N)
        pg -1 -f "$work/load-$n.sql" >/dev/null
        elapsed=$(python3 -c "print(round(($(date +%s%N) - $start_ns) / 1e9, 3))")
        best=$(python3 -c "print(min(float(x) for x in '$elapsed $best'.split()))")
        if [ -n "$postmaster" ]; then
            db=$(python3 -c "print(round($(server_cpu) - $cpu_before, 2))")
            best_db=$(python3 -c "print(min(float(x) for x in '$db $best_db'.split()))")
        fi
    done
    loaded=$(pg -At -c "SELECT count(*) FROM $raw.posts")
    raw_rate=$(python3 -c "print(round($loaded / max($best, 0.001)))")
    printf '%-11s %-7s %-9s %-11s %-12s %-10s %-7s %s  (%s statements, one transaction, best of 3)\n' psql "$loaded" \
        "$best" "$raw_rate" "" "" "" "$best_db" "$statements"

    # Figures and verdicts.
    echo
    verdict "wall time PostgreSQL / SQLite" "$(python3 -c "print(round($postgresql_wall / max($sqlite_wall, 0.001), 2))")" "<=" 1.5
    wall_ratio=$(python3 -c "print(round($postgresql_stored / max($postgresql_wall, 0.001) / max($raw_rate, 1), 2))")
    if [ -n "$postmaster" ]; then
        verdict "ingest rate daemon / psql, server CPU time" \
            "$(python3 -c "print(round($postgresql_stored / max($postgresql_db, 0.01) / ($loaded / max($best_db, 0.01)), 2))")" ">=" 0.5
        info "ingest rate daemon / psql, wall time" "$wall_ratio"
    else
        verdict "ingest rate daemon / psql, wall time" "$wall_ratio" ">=" 0.5
    fi
    python3 - "$rt_log" "$n" "${marks[@]}" "$steady_runs" "$steady_synced" "$steady_failed" <<'PY'
import collections, sys
log, n = sys.argv[1], int(sys.argv[2])
first_at, _, steady_at, _, end_at, _ = map(int, sys.argv[3:9])
runs, synced, failed = map(int, sys.argv[9:12])
lines = [line.rstrip("\n").split("\t", 1)[1] for line in open(log)]
# `SELECT 1` is the daemon's watch of an idle database (one a second, whatever the accounts do).
WATCH = "SELECT 1"
first = collections.Counter(lines[first_at:steady_at])
steady = collections.Counter(lines[steady_at:end_at])
watch = steady.pop(WATCH, 0)
first.pop(WATCH, None)
per = sum(steady.values()) / n
print(f"{'round trips per steady-state account sync':<50} {per:7.2f}  {'aim <= 3':<8} {'met' if per <= 3 else 'NOT met'}")
print(f"  second `sync --all --wait` of a running serve: {sum(steady.values())} round trips, {runs} runs,"
      f" {synced} posts changed, {failed} failed (and {watch} of the daemon's idle-database watch, {WATCH})")
for statement, count in sorted(steady.items(), key=lambda kv: -kv[1]):
    print(f"  {count / n:5.2f} per account  {statement}")
print(f"  the first sync of each worker: {sum(first.values()) / n:.2f} per account; more than steady:")
for statement, count in sorted((first - steady).items(), key=lambda kv: -kv[1]):
    print(f"  {count / n:5.2f} per account  {statement}")
PY
    # A changed page or a failed run would make the steady-state figure meaningless.
    if [ "$steady_failed" != 0 ] || [ "$steady_synced" != 0 ] || [ "$steady_runs" != "$n" ]; then
        failures=$((failures + 1))
        echo "bench-sync: the steady-state pass was not steady ($steady_runs runs, $steady_synced posts changed," \
            "$steady_failed failed); serve's stderr:" >&2
        tail -n 20 "$work/serve-$n.err" >&2
        cat "$work/sync-steady-$n.out" >&2
    fi
    pg -c "DROP SCHEMA IF EXISTS $schema CASCADE" -c "DROP SCHEMA IF EXISTS $raw CASCADE"
done

echo
if [ "$failures" -eq 0 ]; then echo "bench-sync: PASS"; else echo "bench-sync: FAIL ($failures)"; fi
[ "$check" = 1 ] && [ "$failures" -gt 0 ] && exit 1
exit 0
