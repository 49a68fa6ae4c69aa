#!/usr/bin/env bash
# Benchmark: `postsync serve --once` against `postsync simulate`, cold sync of N accounts x 50 posts.
# Prints wall time, posts/s and peak RSS of the daemon for each N.
#
#   scripts/bench-sync.sh                 # N = 1000 and 10000
#   scripts/bench-sync.sh 200 2000        # other sizes
#   BENCH_CONCURRENCY=16 scripts/bench-sync.sh
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(1000 10000)
posts=${BENCH_POSTS:-50}
concurrency=${BENCH_CONCURRENCY:-8}
port=${BENCH_PORT:-18799}

swift build -c release --product postsync >/dev/null
bin="$(swift build -c release --show-bin-path)/postsync"
work=$(mktemp -d /tmp/postsync-bench.XXXXXX)
sim_pid=""
cleanup() { [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

printf '%-9s %-7s %-10s %-10s %-10s %-10s %-9s\n' accounts posts wall_s posts_per_s peak_rss_mb api_calls failed
for n in "${sizes[@]}"; do
    state="$work/state-$n"
    "$bin" simulate --listen "127.0.0.1:$port" --accounts "$n" --posts "$posts" --seed 7 \
        --tiktok-requests-per-minute 100000000 >"$work/sim-$n.log" 2>&1 &
    sim_pid=$!
    for _ in $(seq 1 200); do grep -q listening "$work/sim-$n.log" 2>/dev/null && break; sleep 0.1; done
    cat >"$work/config-$n.yaml" <<YAML
sync:
  max_concurrent: $concurrency
instagram:
  graph_url: http://127.0.0.1:$port
  facebook_graph_url: http://127.0.0.1:$port
tiktok:
  api_url: http://127.0.0.1:$port
  client_key: sim-client-key
  client_secret: sim-client-secret
  requests_per_minute: 100000000
http:
  listen: "off"
YAML
    "$bin" dev-import --simulator "http://127.0.0.1:$port" --state-dir "$state" >/dev/null
    /usr/bin/time -f '%e %M' -o "$work/time-$n" \
        "$bin" serve --once --config "$work/config-$n.yaml" --state-dir "$state" --log-level error >/dev/null 2>"$work/serve-$n.err" || true
    tail -n 1 "$work/time-$n" >"$work/time-$n.last"
    read -r wall rss_kb <"$work/time-$n.last"
    stored=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from posts').fetchone()[0])" "$state/postsync.sqlite")
    calls=$(python3 -c "
import json,sys
c=f=0
for l in open(sys.argv[1]):
    e=json.loads(l); c+=e['apiCalls']; f+=e['status']=='error'
print(c, f)" "$state/synclog.jsonl")
    read -r api failed <<<"$calls"
    rate=$(python3 -c "print(round($stored / max($wall, 0.001)))")
    printf '%-9s %-7s %-10s %-10s %-10s %-10s %-9s\n' "$n" "$stored" "$wall" "$rate" "$((rss_kb / 1024))" "$api" "$failed"
    kill "$sim_pid"; wait "$sim_pid" 2>/dev/null || true; sim_pid=""
done
