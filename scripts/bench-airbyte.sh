#!/usr/bin/env bash
# Benchmark: postsync against Airbyte's source-instagram connector, the same Instagram cold sync.
#
# `postsync simulate` (seed 7) serves N Instagram accounts x M media each (and N - 1 TikTok
# accounts, which neither tool sees). Each run starts a fresh simulator and syncs all of it once;
# the two tools take turns (postsync, Airbyte, postsync, ...), R runs each:
#   postsync  `postsync serve --once` on a fresh SQLite state directory holding the N accounts
#             (dev-import), sync.max_concurrent $BENCH_CONCURRENCY (8, the default)
#   Airbyte   `source-instagram read` of the `media` stream, full refresh (the connector finds the
#             accounts itself, through /me/accounts), num_workers $AIRBYTE_WORKERS (15, its
#             default), its messages written to a file
# Each tool runs under /usr/bin/time: wall time, peak RSS, user + system CPU of that process.
# Records: postsync's rows in the `posts` table; Airbyte's RECORD messages of the `media` stream
# (distinct ids). Every run of both must store all N x M, else the script fails (exit 1, with or
# without --check). HTTP requests: postsync's as the simulator counts them; Airbyte's as the
# proxy counts them (those it answers itself included).
#
# Like for like: postsync's per-post insights are off by default (--insights off), since
# Airbyte's media stream makes no insights calls (its media_insights stream does; not read here).
#
# Airbyte: airbyte-source-instagram==4.1.0 from PyPI, installed on first use into a venv
# ($AIRBYTE_VENV, default ~/.cache/postsync-bench/airbyte-venv; needs network once and Python 3.10
# or 3.11, which the connector requires). Its Graph API base URL is hard-coded
# (https://graph.facebook.com/v21.0: manifest.yaml url_base, components.py GRAPH_URL), so the script
# copies the package into its work directory, points both at scripts/lib/airbyte-sim-proxy.py and
# runs that copy; the venv stays untouched. The proxy adapts Airbyte's Facebook Login requests to
# the simulator (see its docstring). It is a hop postsync does not take and uses CPU on the same
# machine during Airbyte's runs: its CPU time is reported apart, not counted in Airbyte's.
#
# Prints each run's figures, then the medians over the runs and the targets:
#   peak RSS   postsync / Airbyte <= 0.2
#   wall time  postsync / Airbyte <= 0.1
#
#   scripts/bench-airbyte.sh                                  # 50 accounts x 200 media, 3 runs each
#   scripts/bench-airbyte.sh --accounts 10 --media 50 --runs 1
#   scripts/bench-airbyte.sh --insights on --check
#   POSTSYNC_BIN=.build/release/postsync scripts/bench-airbyte.sh   # skip the build
#
# Options: --accounts N (50), --media M (200), --runs R (3), --insights on|off (off), --check (exit
# 1 when a target is missed). Environment: POSTSYNC_BIN (the binary; else `swift build -c release
# --product postsync` first), AIRBYTE_VENV, AIRBYTE_PYTHON (the venv's interpreter; else the first
# of python3, python3.11, python3.10 that is 3.10 or 3.11), AIRBYTE_WORKERS (15), BENCH_CONCURRENCY
# (8), BENCH_PORT (the simulator's port, 18961), BENCH_PROXY_PORT (the proxy's, 18962).
# Needs python3 with its venv module (Debian: python3-venv) and /usr/bin/time (Debian: time);
# run as root, the script installs them with apt-get when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

accounts=50
media=200
runs=3
insights=off
check=0
while [ $# -gt 0 ]; do
    case "$1" in
        --accounts) accounts=${2:-}; shift 2 ;;
        --media) media=${2:-}; shift 2 ;;
        --runs) runs=${2:-}; shift 2 ;;
        --insights) insights=${2:-}; shift 2 ;;
        --check) check=1; shift ;;
        -h|--help) sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
        *) echo "bench-airbyte: unknown option: $1 (see --help)" >&2; exit 2 ;;
    esac
done
for value in "$accounts" "$media" "$runs"; do
    [[ "$value" =~ ^[1-9][0-9]*$ ]] || { echo "bench-airbyte: not a positive number: '$value'" >&2; exit 2; }
done
case "$insights" in
    on) insights_yaml=true ;;
    off) insights_yaml=false ;;
    *) echo "bench-airbyte: --insights takes on or off" >&2; exit 2 ;;
esac
venv=${AIRBYTE_VENV:-$HOME/.cache/postsync-bench/airbyte-venv}
workers=${AIRBYTE_WORKERS:-15}
concurrency=${BENCH_CONCURRENCY:-8}
port=${BENCH_PORT:-18961}
proxy_port=${BENCH_PROXY_PORT:-18962}
connector=airbyte-source-instagram==4.1.0

# apt_install PACKAGE WHY: installs a Debian package when root, else says which one is missing.
apt_install() {
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
        echo "bench-airbyte: installing $1 ($2) ..." >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y "$1" >/dev/null 2>&1 ||
            { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y "$1" >/dev/null; }
    else
        echo "bench-airbyte: $2 is missing (Debian: sudo apt-get install $1)" >&2
        exit 1
    fi
}
command -v python3 >/dev/null || { echo "bench-airbyte: python3 is missing" >&2; exit 1; }
[ -x /usr/bin/time ] || apt_install time "/usr/bin/time"

source "$root/scripts/lib/bench-common.sh"
bin=${POSTSYNC_BIN:-$(release_binary postsync)}

work=$(mktemp -d /tmp/postsync-bench-airbyte.XXXXXX)
sim_pid=""
proxy_pid=""
airbyte_pid=""
cleanup() {
    local pid
    # Airbyte runs in a process group of its own (/usr/bin/time and the connector).
    if [ -n "$airbyte_pid" ]; then
        kill -- "-$airbyte_pid" 2>/dev/null || kill "$airbyte_pid" 2>/dev/null || true
        wait "$airbyte_pid" 2>/dev/null || true
    fi
    for pid in "$proxy_pid" "$sim_pid"; do
        [ -n "$pid" ] || continue
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM


# --- the connector ------------------------------------------------------------------------------

# A venv holding the connector, made on first use.
venv_ok() {
    [ -x "$venv/bin/python" ] && "$venv/bin/python" -c '
import importlib.metadata, sys
sys.exit(importlib.metadata.version("airbyte-source-instagram") != "4.1.0")' 2>/dev/null
}
if ! venv_ok; then
    python=${AIRBYTE_PYTHON:-}
    if [ -z "$python" ]; then
        for candidate in python3 python3.11 python3.10; do
            if command -v "$candidate" >/dev/null &&
                "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] not in ((3, 10), (3, 11)))'; then
                python=$candidate
                break
            fi
        done
        [ -n "$python" ] || {
            echo "bench-airbyte: $connector needs Python 3.10 or 3.11 (python3 is $(python3 -V 2>&1));" \
                "set AIRBYTE_PYTHON to one" >&2
            exit 1
        }
    fi
    echo "bench-airbyte: installing $connector into $venv (once) ..." >&2
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    if ! "$python" -m venv "$venv" >"$work/venv.log" 2>&1; then
        # Debian ships the venv module apart: python3-venv (python3.11-venv for python3.11).
        rm -rf "$venv"
        apt_install "$(basename "$python")-venv" "$python -m venv"
        "$python" -m venv "$venv"
    fi
    "$venv/bin/pip" install -q --disable-pip-version-check "$connector" >"$work/pip.log" 2>&1 || {
        cat "$work/pip.log" >&2
        rm -rf "$venv"
        echo "bench-airbyte: pip install $connector failed" >&2
        exit 1
    }
fi

# The connector's package, copied and pointed at the proxy; the launcher imports that copy.
site=$("$venv/bin/python" -c 'import os, source_instagram; print(os.path.dirname(source_instagram.__file__))')
mkdir -p "$work/pkg"
cp -r "$site" "$work/pkg/source_instagram"
rm -rf "$work/pkg/source_instagram/__pycache__"
for file in manifest.yaml components.py; do
    sed -i "s#https://graph\.facebook\.com/#http://127.0.0.1:$proxy_port/#g" "$work/pkg/source_instagram/$file"
    if grep -q 'graph\.facebook\.com' "$work/pkg/source_instagram/$file" ||
        ! grep -q "http://127.0.0.1:$proxy_port/v" "$work/pkg/source_instagram/$file"; then
        echo "bench-airbyte: could not point $file of $connector at the proxy" >&2
        exit 1
    fi
done
cat >"$work/source-instagram.py" <<EOF
import sys
sys.path.insert(0, "$work/pkg")
import source_instagram
assert source_instagram.__file__.startswith("$work/pkg/"), source_instagram.__file__
from source_instagram.run import run
run()
EOF
airbyte_cdk=$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("airbyte-cdk"))')
airbyte_python=$("$venv/bin/python" -c 'import platform; print(platform.python_version())')

# Config and catalog: a Facebook user token (the proxy takes any), the `media` stream.
printf '{"access_token": "sim-facebook-user-token", "start_date": "%s", "num_workers": %s}\n' \
    "$(date -u -d '2 years ago' +%Y-%m-%dT%H:%M:%SZ)" "$workers" >"$work/airbyte-config.json"
"$venv/bin/python" "$work/source-instagram.py" discover --config "$work/airbyte-config.json" \
    >"$work/discover.jsonl" 2>"$work/discover.err" || { cat "$work/discover.err" >&2; exit 1; }
python3 - "$work/discover.jsonl" >"$work/catalog.json" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    message = json.loads(line)
    if message.get("type") == "CATALOG":
        stream = next(s for s in message["catalog"]["streams"] if s["name"] == "media")
        print(json.dumps({"streams": [{"stream": stream, "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"}]}))
        break
else:
    sys.exit("bench-airbyte: discover printed no catalog")
PY

# --- helpers --------------------------------------------------------------------------------------

# The simulator makes half its accounts Instagram ones, rounded up.
sim_accounts=$((2 * accounts - 1))
expected=$((accounts * media))
ticks=$(getconf CLK_TCK)
# cpu_seconds PID: user + system CPU seconds the process has used so far.
cpu_seconds() { awk -v t="$ticks" '{print ($14 + $15) / t}' "/proc/$1/stat"; }
# get_json URL KEY: one member of a JSON object (the whole object without KEY).
get_json() {
    python3 -c '
import json, sys, urllib.request
value = json.load(urllib.request.urlopen(sys.argv[1], timeout=10))
print(value[sys.argv[2]] if sys.argv[2:] else json.dumps(value))' "$@"
}
sim_requests() { get_json "http://127.0.0.1:$port/_sim/stats" requests; }
fresh_simulator() {
    rm -f "$work/sim-$port.log"
    start_simulator "$port" "$sim_accounts" "$media"
}
stop_simulator() { kill "$sim_pid"; wait "$sim_pid" 2>/dev/null || true; sim_pid=""; }
start_proxy() {
    rm -f "$work/proxy.out"
    python3 "$root/scripts/lib/airbyte-sim-proxy.py" --port "$proxy_port" --simulator "http://127.0.0.1:$port" \
        >"$work/proxy.out" 2>&1 &
    proxy_pid=$!
    for _ in $(seq 1 100); do grep -q listening "$work/proxy.out" 2>/dev/null && return 0; sleep 0.1; done
    echo "bench-airbyte: the proxy did not start: $(cat "$work/proxy.out")" >&2
    exit 1
}
stop_proxy() { kill "$proxy_pid"; wait "$proxy_pid" 2>/dev/null || true; proxy_pid=""; }

# incomplete SIDE RUN WHAT: a run that did not store everything: says so loudly, fails the script.
incomplete=0
incomplete() {
    incomplete=$((incomplete + 1))
    echo "bench-airbyte: FAIL: $1 run $2: $3" >&2
}

write_config "$work/config.yaml" "$port" "sync:" "  max_concurrent: $concurrency" "http:" '  listen: "off"'
sed -i "s/^instagram:\$/instagram:\n  insights: $insights_yaml/" "$work/config.yaml"

# Figures per run, by side: wall_s, peak RSS KB, CPU s, records, HTTP requests.
ps_wall=(); ps_rss=(); ps_cpu=(); ps_records=(); ps_requests=()
ab_wall=(); ab_rss=(); ab_cpu=(); ab_records=(); ab_requests=(); ab_proxy_cpu=()

row_run() { printf '%-4s %-9s %8s %12s %7s %8s %14s  %s\n' "$@"; }

run_postsync() {
    local run=$1 state="$work/state-$1" wall rss cpu records requests failed before
    fresh_simulator
    # Through the proxy: its /_sim/accounts lists the Instagram accounts only.
    start_proxy
    "$bin" dev-import --simulator "http://127.0.0.1:$proxy_port" --config "$work/config.yaml" --state-dir "$state" \
        >"$work/import-$run.log" 2>&1 || { cat "$work/import-$run.log" >&2; exit 1; }
    stop_proxy
    before=$(sim_requests)
    read -r wall rss cpu < <(timed_once "$work/config.yaml" "$state" "$work/time-postsync-$run")
    requests=$(($(sim_requests) - before))
    stop_simulator
    records=$(count_posts "$state/postsync.sqlite")
    failed=$(python3 -c "import json, sys; print(sum(json.loads(l)['status'] == 'error' for l in open(sys.argv[1])))" \
        "$state/synclog.jsonl")
    row_run "$run" postsync "$wall" "$((rss / 1024))" "$cpu" "$records" "$requests" "failed account syncs: $failed"
    if [ "$records" != "$expected" ] || [ "$failed" != 0 ]; then
        incomplete postsync "$run" "$records of $expected posts stored, $failed failed account syncs; the daemon's stderr:"
        tail -n 20 "$work/time-postsync-$run.err" >&2
    fi
    ps_wall+=("$wall"); ps_rss+=("$rss"); ps_cpu+=("$cpu"); ps_records+=("$records"); ps_requests+=("$requests")
}

run_airbyte() {
    local run=$1 out="$work/airbyte-$1.jsonl" status=0 wall rss cpu records ids errors requests kinds proxy_cpu before simulated
    fresh_simulator
    start_proxy
    before=$(sim_requests)
    # setsid: a process group of its own, which cleanup can kill whole.
    setsid /usr/bin/time -f '%e %M %U %S' -o "$work/time-airbyte-$run" \
        "$venv/bin/python" "$work/source-instagram.py" read --config "$work/airbyte-config.json" \
        --catalog "$work/catalog.json" >"$out" 2>"$work/airbyte-$run.err" &
    airbyte_pid=$!
    wait "$airbyte_pid" || status=$?
    airbyte_pid=""
    simulated=$(($(sim_requests) - before))
    kinds=$(get_json "http://127.0.0.1:$proxy_port/_proxy/stats")
    proxy_cpu=$(cpu_seconds "$proxy_pid")
    stop_proxy
    stop_simulator
    read -r wall rss cpu < <(tail -n 1 "$work/time-airbyte-$run" | awk '{print $1, $2, $3 + $4}')
    read -r records ids errors < <(python3 - "$out" <<'PY'
import json, sys
records, ids, errors = 0, set(), 0
for line in open(sys.argv[1]):
    message = json.loads(line)
    if message.get("type") == "RECORD" and message["record"]["stream"] == "media":
        records += 1
        ids.add(message["record"]["data"]["id"])
    elif message.get("type") == "TRACE" and message["trace"].get("type") == "ERROR":
        errors += 1
print(records, len(ids), errors)
PY
    )
    requests=$(python3 -c "import json, sys; print(sum(json.loads(sys.argv[1]).values()))" "$kinds")
    row_run "$run" Airbyte "$wall" "$((rss / 1024))" "$cpu" "$records" "$requests" \
        "by kind $kinds, $simulated reached the simulator; proxy CPU ${proxy_cpu}s"
    if [ "$status" != 0 ] || [ "$records" != "$expected" ] || [ "$ids" != "$expected" ] || [ "$errors" != 0 ]; then
        incomplete Airbyte "$run" "exit status $status, $records of $expected records ($ids distinct ids), $errors error trace(s); its stderr and errors:"
        tail -n 10 "$work/airbyte-$run.err" >&2
        grep '"ERROR"' "$out" | head -n 3 | cut -c1-600 >&2 || true
    fi
    ab_wall+=("$wall"); ab_rss+=("$rss"); ab_cpu+=("$cpu"); ab_records+=("$records"); ab_requests+=("$requests")
    ab_proxy_cpu+=("$proxy_cpu")
}

# --- the runs -------------------------------------------------------------------------------------

echo "== $accounts Instagram accounts x $media media (simulator seed 7), $runs run(s) each, $(nproc) CPU(s)"
echo "   postsync $("$bin" --version 2>/dev/null | head -n 1): sync.max_concurrent $concurrency, insights $insights, SQLite"
echo "   Airbyte source-instagram 4.1.0 (airbyte-cdk $airbyte_cdk, Python $airbyte_python): media stream, full refresh, num_workers $workers"
echo
row_run run tool wall_s peak_rss_mb cpu_s records http_requests notes
for run in $(seq 1 "$runs"); do
    run_postsync "$run"
    run_airbyte "$run"
done

# --- medians and targets --------------------------------------------------------------------------

median() { python3 -c "import statistics, sys; print(statistics.median(float(x) for x in sys.argv[1:]))" "$@"; }
fmt() { python3 -c "import sys; print(f'{float(sys.argv[1]):.{sys.argv[2]}f}')" "$1" "$2"; }
mb() { python3 -c "import sys; print(f'{float(sys.argv[1]) / 1024:.1f}')" "$1"; }
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / max(float(sys.argv[2]), 1e-9):.3f}')" "$1" "$2"; }
verdict() { python3 -c "print('ok' if $1 else 'MISSED')"; }
fewest() { printf '%s\n' "$@" | sort -n | head -n 1; }

m_ps_rss=$(median "${ps_rss[@]}"); m_ab_rss=$(median "${ab_rss[@]}")
m_ps_wall=$(median "${ps_wall[@]}"); m_ab_wall=$(median "${ab_wall[@]}")
m_ps_cpu=$(median "${ps_cpu[@]}"); m_ab_cpu=$(median "${ab_cpu[@]}")
rss_ratio=$(ratio "$m_ps_rss" "$m_ab_rss")
wall_ratio=$(ratio "$m_ps_wall" "$m_ab_wall")
ps_fewest=$(fewest "${ps_records[@]}"); ab_fewest=$(fewest "${ab_records[@]}")
missed=0
python3 -c "import sys; sys.exit(not ($rss_ratio <= 0.2 and $wall_ratio <= 0.1))" || missed=1

row() { printf '%-40s %-10s %-10s %-8s %-10s %s\n' "$@" | sed 's/ *$//'; }
echo
row "metric (median of $runs run(s))" postsync Airbyte ratio target verdict
row "peak RSS (MB)" "$(mb "$m_ps_rss")" "$(mb "$m_ab_rss")" "$rss_ratio" "<= 0.2" "$(verdict "$rss_ratio <= 0.2")"
row "wall time (s)" "$(fmt "$m_ps_wall" 2)" "$(fmt "$m_ab_wall" 2)" "$wall_ratio" "<= 0.1" "$(verdict "$wall_ratio <= 0.1")"
row "CPU user + system (s)" "$(fmt "$m_ps_cpu" 2)" "$(fmt "$m_ab_cpu" 2)" "$(ratio "$m_ps_cpu" "$m_ab_cpu")" "" ""
row "records stored (fewest of the runs)" "$ps_fewest" "$ab_fewest" "" "$expected" \
    "$(verdict "$ps_fewest == $expected and $ab_fewest == $expected")"
row "HTTP requests" "$(fmt "$(median "${ps_requests[@]}")" 0)" "$(fmt "$(median "${ab_requests[@]}")" 0)" "" "" ""
row "proxy CPU during Airbyte's runs (s)" "-" "$(fmt "$(median "${ab_proxy_cpu[@]}")" 2)" "" "" "(not counted)"
echo
if [ "$incomplete" -gt 0 ]; then
    echo "bench-airbyte: FAIL: $incomplete run(s) did not store all $expected records (see above)" >&2
    exit 1
fi
if [ "$missed" = 1 ]; then echo "bench-airbyte: a target was missed"; else echo "bench-airbyte: both targets met"; fi
[ "$check" = 1 ] && [ "$missed" = 1 ] && exit 1
exit 0
