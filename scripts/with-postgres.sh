#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL server: initdb into a fresh /tmp/postsync-pg.XXXXXX,
# a server on a free loopback port, database `postsync` owned by role `postsync` (trust auth),
# the connection exported; afterwards the server is stopped and the directory removed, however
# the command ends (also on Ctrl-C or SIGTERM). Exits with the command's status.
#
#   scripts/with-postgres.sh [--optional] CMD [ARGS...]
#
#   --optional   without server binaries, run CMD anyway, without the variables (the PostgreSQL
#                tests then skip, unless CI=true); otherwise that is exit 3
#
# CMD sees:
#   POSTSYNC_TEST_DATABASE_URL   postgres://postsync@127.0.0.1:PORT/postsync
#   POSTSYNC_TEST_PG_BIN         the server binaries (initdb, pg_ctl, postgres), for tests that
#                                start a private server of their own
#   PGHOST PGPORT PGUSER PGDATABASE   so that psql, pg_dump & co. connect without options
#   POSTSYNC_TEST_PG_CTL         a script that stops (`stop`, fast) and starts (`start`) this
#                                server, for tests of an outage (scripts/cluster-test.sh)
#
# $WITH_POSTGRES_CONF: extra postgresql.conf lines (profiling, e.g. pg_stat_statements).
# Binaries: $POSTSYNC_TEST_PG_BIN if set, else /usr/lib/postgresql/*/bin (Debian's `postgresql`
# package; newest version first), else `pg_config --bindir`. initdb and the server refuse to run
# as root: as root they run as the `postgres` user (runuser, else setpriv).
#
#   scripts/with-postgres.sh psql -c 'select version()'
#   scripts/with-postgres.sh swift test --filter Postgres
set -euo pipefail
name=with-postgres

usage() { sed -n '2,23s/^# \{0,1\}//p' "$0"; }

optional=0
case "${1:-}" in
    -h | --help) usage; exit 0 ;;
    --optional) optional=1; shift ;;
esac
if [ $# -eq 0 ]; then
    usage >&2
    exit 2
fi

# has_server DIR: DIR holds the binaries this script and the tests run.
has_server() {
    local tool
    for tool in initdb pg_ctl postgres createdb; do [ -x "$1/$tool" ] || return 1; done
}

# find_bindir: prints the server binaries' directory, or fails.
find_bindir() {
    if [ -n "${POSTSYNC_TEST_PG_BIN:-}" ]; then
        has_server "$POSTSYNC_TEST_PG_BIN" && echo "$POSTSYNC_TEST_PG_BIN"
        return
    fi
    local dir
    # Version directories (9.6, 15, 16), highest first.
    for dir in $(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -printf '%h\n' 2>/dev/null | sort -Vr); do
        if has_server "$dir/bin"; then echo "$dir/bin"; return; fi
    done
    dir="$(pg_config --bindir 2>/dev/null)" && has_server "$dir" && echo "$dir"
}

# unavailable WHY CMD...: exit 3, or with --optional run the command without a server.
unavailable() {
    local why="$1"
    shift
    if [ "$optional" = 1 ]; then
        echo "$name: $why; running without a server" >&2
        exec "$@"
    fi
    echo "$name: $why" >&2
    exit 3
}

bindir="$(find_bindir)" || bindir=""
if [ -z "$bindir" ]; then
    if [ -n "${POSTSYNC_TEST_PG_BIN:-}" ]; then
        unavailable "POSTSYNC_TEST_PG_BIN=$POSTSYNC_TEST_PG_BIN holds no PostgreSQL server binaries" "$@"
    fi
    unavailable "PostgreSQL server binaries not found (Debian: apt-get install postgresql)" "$@"
fi

# as_server TOOL ARGS...: runs a server binary as the user the server runs as, from / (root's
# working directory may be closed to that user), with untranslated messages (the port retry
# below reads them).
if [ "$(id -u)" -eq 0 ]; then
    if ! id postgres >/dev/null 2>&1; then
        unavailable "running as root, and there is no postgres user to run the server as" "$@"
    fi
    if command -v runuser >/dev/null 2>&1; then
        as_server() { (cd / && exec runuser -u postgres -- env LC_ALL=C "$@"); }
    else
        as_server() { (cd / && exec setpriv --reuid=postgres --regid=postgres --init-groups env LC_ALL=C "$@"); }
    fi
else
    as_server() { (cd / && exec env LC_ALL=C "$@"); }
fi

# detached CMD...: runs CMD with no descriptor beyond stdin, stdout and stderr, for `pg_ctl
# start`: the server it leaves running would otherwise hold whatever pipe or socket our caller
# waits on for our end (a `$(...)`, a test harness watching its child).
detached() {
    (
        for fd in /proc/self/fd/*; do
            fd="${fd##*/}"
            [ "$fd" -le 2 ] || exec {fd}>&-
        done
        "$@"
    )
}

# A free loopback port: bound to port 0, read back and released (the retry below covers the
# moment between releasing it and the server binding it).
free_port() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
    else
        echo $((20000 + RANDOM % 40000))
    fi
}

started_ns="$(date +%s%N)"
tmpdir=""
pgdata=""
child=""

# Stops the server (immediate: nothing is worth keeping) and removes the directory; runs on
# every exit. Nothing in it may fail the script, so that the command's status is what remains.
cleanup() {
    if [ -n "$pgdata" ] && [ -f "$pgdata/postmaster.pid" ]; then
        if ! as_server "$bindir/pg_ctl" -D "$pgdata" -m immediate -w -t 30 stop >/dev/null 2>&1; then
            # pg_ctl could not stop it: kill the server's process group (it is a session leader).
            local pid
            pid="$(head -n 1 "$pgdata/postmaster.pid" 2>/dev/null)" || pid=""
            if [ -n "$pid" ]; then kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; fi
        fi
    fi
    if [ -n "$tmpdir" ]; then rm -rf -- "$tmpdir" || true; fi
}
trap cleanup EXIT
# During setup a signal ends the script (the EXIT trap cleans up); bash runs the trap once the
# step in progress (at most a few seconds) has finished.
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

tmpdir="$(mktemp -d /tmp/postsync-pg.XXXXXX)"
pgdata="$tmpdir/data"
mkdir "$tmpdir/socket"
if [ "$(id -u)" -eq 0 ]; then chown -R postgres: "$tmpdir"; fi
setup_log="$tmpdir/setup.log"

# fail WHAT: prints what the setup printed and the server's log, then exits 1.
fail() {
    echo "$name: $1" >&2
    cat "$setup_log" >&2 2>/dev/null || true
    if [ -f "$tmpdir/server.log" ]; then
        echo "--- $tmpdir/server.log" >&2
        tail -n 30 "$tmpdir/server.log" >&2 || true
    fi
    exit 1
}

# --no-sync: the cluster is thrown away, as fsync=off says for the server.
as_server "$bindir/initdb" -D "$pgdata" -U postsync --auth=trust -E UTF8 --locale=C --no-sync >>"$setup_log" 2>&1 \
    || fail "initdb failed"
cat >>"$pgdata/postgresql.conf" <<EOF

# scripts/with-postgres.sh: a throwaway server for the tests.
fsync = off
synchronous_commit = off
full_page_writes = off
listen_addresses = '127.0.0.1'
unix_socket_directories = '$tmpdir/socket'
max_connections = 200
shared_buffers = 128MB
${WITH_POSTGRES_CONF:-}
EOF

port=""
for attempt in 1 2 3 4 5; do
    port="$(free_port)"
    # The last `port` line wins.
    echo "port = $port" >>"$pgdata/postgresql.conf"
    if detached as_server "$bindir/pg_ctl" -D "$pgdata" -l "$tmpdir/server.log" -w -t 60 start >>"$setup_log" 2>&1; then
        break
    fi
    if [ "$attempt" -lt 5 ] && grep -q 'could not bind' "$tmpdir/server.log" 2>/dev/null; then
        echo "$name: port $port was taken; trying another" >>"$setup_log"
        continue
    fi
    fail "the server did not start"
done
"$bindir/createdb" -h 127.0.0.1 -p "$port" -U postsync postsync >>"$setup_log" 2>&1 || fail "createdb failed"

elapsed_ms=$((($(date +%s%N) - started_ns) / 1000000))
printf '%s: server on 127.0.0.1:%s ready in %d.%ds\n' "$name" "$port" $((elapsed_ms / 1000)) $((elapsed_ms % 1000 / 100)) >&2

# stop | start, as the server's user, the start detached like the first one.
{
    echo '#!/usr/bin/env bash'
    echo 'set -euo pipefail'
    declare -f as_server detached
    echo 'case "${1:-}" in'
    echo "    stop) as_server '$bindir/pg_ctl' -D '$pgdata' -m fast -w -t 30 stop >/dev/null ;;"
    echo "    start) detached as_server '$bindir/pg_ctl' -D '$pgdata' -l '$tmpdir/server.log' -w -t 60 start >/dev/null ;;"
    echo '    *) echo "usage: $0 stop|start" >&2; exit 2 ;;'
    echo 'esac'
} >"$tmpdir/pg-ctl"
chmod 0755 "$tmpdir/pg-ctl"
export POSTSYNC_TEST_PG_CTL="$tmpdir/pg-ctl"
export POSTSYNC_TEST_DATABASE_URL="postgres://postsync@127.0.0.1:$port/postsync"
export POSTSYNC_TEST_PG_BIN="$bindir"
export PGHOST=127.0.0.1 PGPORT="$port" PGUSER=postsync PGDATABASE=postsync

# The command runs in the background so that a signal reaches the script at once (bash defers
# traps while a foreground command runs); the script passes it on and waits for the command.
# Without job control bash starts a background command with SIGINT and SIGQUIT ignored and its
# stdin on /dev/null: `trap -` and `<&0` undo that, so Ctrl-C and input reach it as usual.
( trap - INT QUIT; exec "$@" ) <&0 &
child=$!
forward() { kill "-$1" "$child" 2>/dev/null || true; }
trap 'forward HUP' HUP
trap 'forward INT' INT
trap 'forward TERM' TERM
# `wait` returns early when a trapped signal arrives; the last `wait` reports the command's own
# status (bash keeps it after reaping).
while kill -0 "$child" 2>/dev/null; do wait "$child" || true; done
status=0
wait "$child" || status=$?
exit "$status"
