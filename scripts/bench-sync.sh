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

source "$(dirname "$0")/lib/bench-common.sh"

printf '%-9s %-7s %-10s %-10s %-10s %-10s %-9s\n' accounts posts wall_s posts_per_s peak_rss_mb api_calls failed
for n in "${sizes[@]}"; do
    state="$work/state-$n"
    start_simulator "$port" "$n" "$posts"
    write_config "$work/config-$n.yaml" "$port" "sync:" "  max_concurrent: $concurrency" "http:" '  listen: "off"'
    "$bin" dev-import --simulator "http://127.0.0.1:$port" --state-dir "$state" >/dev/null
    read -r wall rss_kb < <(timed_once "$work/config-$n.yaml" "$state" "$work/time-$n")
    stored=$(count_posts "$state/postsync.sqlite")
    read -r api failed < <(python3 -c "
import json,sys
c=f=0
for l in open(sys.argv[1]):
    e=json.loads(l); c+=e['apiCalls']; f+=e['status']=='error'
print(c, f)" "$state/synclog.jsonl")
    rate=$(python3 -c "print(round($stored / max($wall, 0.001)))")
    printf '%-9s %-7s %-10s %-10s %-10s %-10s %-9s\n' "$n" "$stored" "$wall" "$rate" "$((rss_kb / 1024))" "$api" "$failed"
    kill "$sim_pid"; wait "$sim_pid" 2>/dev/null || true; sim_pid=""
done
