# Shared helpers of the benchmark scripts (sourced, not run).
# Needs: $work (a scratch directory), $bin (the postsync binary).

# free_port: a free loopback TCP port.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for WHAT SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds; after SECONDS,
# says what it waited for and exits 1.
wait_for() {
    local what=$1 seconds=$2
    shift 2
    for _ in $(seq 1 $((seconds * 10))); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "$(basename "$0" .sh): timed out waiting for $what" >&2
    exit 1
}

# start_simulator PORT ACCOUNTS POSTS [extra simulate flags...]: starts `postsync simulate` in the
# background, sets $sim_pid, waits until it listens. The simulator runs from its own copy of the
# binary ($work/postsync-simulator): the kernel maps the cached neighbours of each page a process
# faults in, so a simulator running the daemon's own file would add its pages to the daemon's RSS.
start_simulator() {
    local port=$1 accounts=$2 posts=$3; shift 3
    [ -x "$work/postsync-simulator" ] || cp "$bin" "$work/postsync-simulator"
    "$work/postsync-simulator" simulate --listen "127.0.0.1:$port" --accounts "$accounts" --posts "$posts" --seed 7 \
        --tiktok-requests-per-minute 100000000 "$@" >"$work/sim-$port.log" 2>&1 &
    sim_pid=$!
    for _ in $(seq 1 300); do grep -q listening "$work/sim-$port.log" 2>/dev/null && return 0; sleep 0.1; done
    echo "simulator did not start: $(cat "$work/sim-$port.log")" >&2
    return 1
}

# write_config FILE PORT [extra YAML lines...]: a daemon config pointed at the simulator on PORT.
write_config() {
    local file=$1 port=$2; shift 2
    {
        echo "instagram:"
        echo "  graph_url: http://127.0.0.1:$port"
        echo "  facebook_graph_url: http://127.0.0.1:$port"
        echo "tiktok:"
        echo "  api_url: http://127.0.0.1:$port"
        echo "  client_key: sim-client-key"
        echo "  client_secret: sim-client-secret"
        echo "  requests_per_minute: 100000000"
        for line in "$@"; do echo "$line"; done
    } >"$file"
}

# evict_binary: drops the daemon binary's pages from the page cache, so that a measured start reads
# it as a fresh start does (readahead from disk). A copy just written, or pages another process
# brought in, leave it cached in other shapes, and its RSS varied by 3 MB with them.
evict_binary() {
    python3 -c 'import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
os.fsync(fd)  # dirty pages (a binary just linked) are not dropped
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
os.close(fd)' "$bin"
}

# timed_once CONFIG STATE OUT: runs `serve --once` under /usr/bin/time, from a cold page cache;
# prints "wall_s rss_kb cpu_s" (cpu_s: user + system seconds of the daemon alone).
timed_once() {
    local config=$1 state=$2 out=$3
    evict_binary
    /usr/bin/time -f '%e %M %U %S' -o "$out" \
        "$bin" serve --once --config "$config" --state-dir "$state" --log-level error >/dev/null 2>"$out.err" || true
    tail -n 1 "$out" | awk '{print $1, $2, $3 + $4}'
}

# count_posts DB: rows in posts.
count_posts() {
    python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from posts').fetchone()[0])" "$1"
}

# release_binary PRODUCT: builds PRODUCT (incrementally) as it ships (scripts/build-release.sh: in
# release, the Swift runtime linked statically, the functions it runs laid out together), as
# scripts/package.sh and CI build it, and prints its path. Memory
# figures depend on it: the shared Swift and Foundation libraries of a dynamic build map about
# 15 MB more code pages than the statically linked binary touches. Build output goes to stderr
# only when the build fails.
release_binary() {
    local product=$1 log
    log=$(mktemp)
    if ! scripts/build-release.sh --product "$product" >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        return 1
    fi
    rm -f "$log"
    echo "$(swift build -c release --static-swift-stdlib --show-bin-path)/$product"
}
