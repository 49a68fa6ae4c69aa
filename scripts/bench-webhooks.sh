#!/usr/bin/env bash
# Benchmark of the HTTP listener: `postsync serve` with the simulator behind it.
#
#  1. wrk against GET /healthz (a bare route) and POST /webhooks/instagram of the same server in
#     the same run: once with unique, validly signed bodies (precomputed by Python, cycled through
#     by a wrk Lua script; each one queues a coalesced sync) and once with one signed body repeated
#     (every request after the first takes the de-duplication path). /healthz runs twice, as wrk's
#     static request and made by a Lua request() like the unique bodies. Prints req/s, the ratios
#     and the CPU per request of the daemon and of wrk.
#  2. Webhook -> post visible latency: publish a post in the simulator (started without
#     --webhook-url, so it delivers nothing itself), deliver a signed Instagram webhook for that
#     account, poll GET /v1/posts?account=...&limit=1 on the control socket until the post shows.
#     Round robin over 21 accounts that take no wrk load. Prints p50/p99.
#
#   scripts/bench-webhooks.sh
#   BENCH_DURATION=30s BENCH_CONNECTIONS=64 BENCH_SAMPLES=500 scripts/bench-webhooks.sh
#   POSTSYNC_BIN=/usr/local/bin/postsync scripts/bench-webhooks.sh     # skip the build
#
# Needs wrk (Debian: wrk), /usr/bin/time (Debian: time), python3 and curl. Other knobs:
# BENCH_THREADS (2), BENCH_BODIES (signed bodies to cycle through, 300000), BENCH_KEEP=1 keeps the
# work directory, BENCH_PERF=FILE records the daemon with perf during the unique-body run.
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
    -h | --help) sed -n '2,22s/^# \{0,1\}//p' "$0"; exit 0 ;;
esac

duration=${BENCH_DURATION:-10s}
threads=${BENCH_THREADS:-2}
connections=${BENCH_CONNECTIONS:-32}
bodies=${BENCH_BODIES:-300000}
samples=${BENCH_SAMPLES:-200}
app_secret=sim-app-secret
# 24 Instagram accounts (3 take the wrk load, 21 the latency samples) and 24 TikTok ones.
accounts=48

for tool in python3 curl; do
    command -v "$tool" >/dev/null || { echo "bench-webhooks: $tool is missing" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "bench-webhooks: /usr/bin/time is missing (Debian: apt-get install time)" >&2; exit 1; }
if ! command -v wrk >/dev/null; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
        apt-get install -y wrk >/dev/null
    else
        echo "bench-webhooks: wrk is missing (Debian: sudo apt-get install wrk)" >&2
        exit 1
    fi
fi

source scripts/lib/bench-common.sh
bin=${POSTSYNC_BIN:-$(release_binary postsync)}

work=$(mktemp -d /tmp/postsync-bench-webhooks.XXXXXX)
state="$work/state"
sim_pid=""
serve_pid=""
cleanup() {
    for pid in $serve_pid $sim_pid; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- simulator (no --webhook-url: it must not deliver webhooks itself) and daemon ---------------
sim_port=$(free_port)
sim="http://127.0.0.1:$sim_port"
"$bin" simulate --listen "127.0.0.1:$sim_port" --accounts "$accounts" --posts 5 --seed 7 >"$work/sim.log" 2>&1 &
sim_pid=$!
wait_for "the simulator" 30 grep -q listening "$work/sim.log"

http_port=$(free_port)
listener="http://127.0.0.1:$http_port"
socket="$work/control.sock"
printf '%s\n' "$app_secret" >"$work/app-secret"
printf '%s\n' sim-client-secret >"$work/client-secret"
chmod 600 "$work/app-secret" "$work/client-secret"
cat >"$work/config.yaml" <<YAML
control:
  socket: $socket
http:
  listen: 127.0.0.1:$http_port
  max_body: 1MiB
sync:
  interval: 6h
instagram:
  graph_url: $sim
  facebook_graph_url: $sim
  app_secret_file: $work/app-secret
  insights: false
tiktok:
  api_url: $sim
  client_key: sim-client-key
  client_secret_file: $work/client-secret
YAML
"$bin" dev-import --simulator "$sim" --state-dir "$state" >/dev/null
"$bin" serve --config "$work/config.yaml" --state-dir "$state" --log-level error >"$work/serve.log" 2>&1 &
serve_pid=$!
wait_for "the HTTP listener" 30 curl -sf "$listener/healthz"
# The first scheduled sync of every account, so the runs below start from idle accounts.
wait_for "the first syncs" 30 sh -c "[ \$(wc -l <'$state/synclog.jsonl') -ge $accounts ]"

# Instagram user ids: the first 3 take the wrk load, the others the latency samples, round robin.
# Meta's usage pacing is per account, so the load does not slow the latency accounts down; and a
# sync pages back through every post of the last 30 days (25 a page), so spreading the samples
# keeps each latency account at a realistic handful of recent posts (one /media page).
mapfile -t ig < <(curl -sf "$sim/_sim/accounts" | python3 -c '
import json, sys
for a in json.load(sys.stdin):
    if a["platform"] == "instagram": print(a["externalId"])')

# --- signed bodies ------------------------------------------------------------------------------
python3 - "$app_secret" "$bodies" "$work" "${ig[@]:0:3}" <<'PY'
import hashlib, hmac, json, sys, time
secret, count, work, ids = sys.argv[1].encode(), int(sys.argv[2]), sys.argv[3], sys.argv[4:]
now = int(time.time())
def body(i):
    account = ids[i % len(ids)]
    return json.dumps({"object": "instagram", "entry": [{"id": account, "time": now, "changes": [{"field": "comments",
        "value": {"id": "178%014d" % i, "text": "bench", "media": {"id": "179%014d" % i}}}]}]}, separators=(",", ":"))
def sign(text):
    return "sha256=" + hmac.new(secret, text.encode(), hashlib.sha256).hexdigest()
with open(work + "/bodies.tsv", "w") as out:
    for i in range(count):
        text = body(i)
        out.write(sign(text) + "\t" + text + "\n")
text = body(count)
with open(work + "/dup.tsv", "w") as out:
    out.write(sign(text) + "\t" + text + "\n")
PY

# Unique bodies: thread t of n sends bodies t, t+n, t+2n, ... so no two requests repeat one until
# the list is exhausted (the table prints how many did).
cat >"$work/unique.lua" <<'LUA'
local counter = 0
function setup(thread)
    counter = counter + 1
    thread:set("tid", counter)
end
function init(args)
    -- This thread's requests, made here and not per request: wrk.format() in request() cost the
    -- client two and a half times the CPU of a static request, CPU the daemon then lacked.
    local step = tonumber(os.getenv("BENCH_THREADS"))
    requests = {}
    local n = 0
    for line in io.lines(os.getenv("BENCH_FILE")) do
        if n % step == tid - 1 then
            local tab = line:find("\t", 1, true)
            requests[#requests + 1] = wrk.format("POST", "/webhooks/instagram",
                { ["Content-Type"] = "application/json", ["X-Hub-Signature-256"] = line:sub(1, tab - 1) },
                line:sub(tab + 1))
        end
        n = n + 1
    end
    next_index = 0
end
function request()
    next_index = next_index % #requests + 1
    return requests[next_index]
end
LUA
# One body, repeated: a static request (wrk's fast path).
cat >"$work/dup.lua" <<'LUA'
local line = io.open(os.getenv("BENCH_FILE")):read("*l")
local tab = line:find("\t", 1, true)
wrk.method = "POST"
wrk.path = "/webhooks/instagram"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Hub-Signature-256"] = line:sub(1, tab - 1)
wrk.body = line:sub(tab + 1)
LUA

# --- wrk ----------------------------------------------------------------------------------------
webhook_syncs() { python3 -c '
import json, sys
print(sum(1 for l in open(sys.argv[1]) if l.strip() and json.loads(l)["trigger"] == "webhook"))' "$state/synclog.jsonl"; }

ticks=$(getconf CLK_TCK)
# cpu_seconds PID: user + system CPU seconds the process has used so far.
cpu_seconds() { awk -v t="$ticks" '{print ($14 + $15) / t}' "/proc/$1/stat"; }
run_wrk() { # name, output file, wrk arguments...
    local name=$1 out=$2 before
    shift 2
    echo "wrk: $name ..." >&2
    before=$(cpu_seconds "$serve_pid")
    # wrk's own CPU as well: the two share the machine's cores with the daemon, and a Lua request()
    # per request costs the client more than wrk's static request.
    BENCH_THREADS=$threads /usr/bin/time -f '%U %S' -o "$out.wrk-cpu" \
        wrk -t "$threads" -c "$connections" -d "$duration" --latency "$@" >"$out"
    echo "$before $(cpu_seconds "$serve_pid")" >"$out.daemon-cpu"
}
run_wrk "GET /healthz" "$work/wrk-healthz.txt" "$listener/healthz"
# The bare route again, through a Lua request() returning a request made in init(), as in the
# unique-body run: wrk then spends about as much per request on both, so the two differ by the
# daemon's work only.
cat >"$work/healthz.lua" <<'LUA'
function init(args)
    prepared = wrk.format("GET", "/healthz")
end
function request()
    return prepared
end
LUA
run_wrk "GET /healthz (Lua request())" "$work/wrk-healthz-lua.txt" -s "$work/healthz.lua" "$listener"
# Deliver the repeated body once first, so that every wrk request is a duplicate.
IFS=$'\t' read -r dup_sig dup_body <"$work/dup.tsv"
curl -sf -o /dev/null -X POST -H "X-Hub-Signature-256: $dup_sig" --data-binary "$dup_body" "$listener/webhooks/instagram"
BENCH_FILE="$work/dup.tsv" run_wrk "POST /webhooks/instagram (duplicates)" "$work/wrk-dup.txt" -s "$work/dup.lua" "$listener"
syncs_before=$(webhook_syncs)
perf_pid=""
if [ -n "${BENCH_PERF:-}" ]; then
    # The daemon's profile during the unique-body run (sampled on the CPU clock, with call graphs).
    perf record -e cpu-clock -F 999 -g -p "$serve_pid" -o "$BENCH_PERF" >/dev/null 2>&1 &
    perf_pid=$!
fi
BENCH_FILE="$work/bodies.tsv" run_wrk "POST /webhooks/instagram (unique bodies)" "$work/wrk-unique.txt" -s "$work/unique.lua" "$listener"
if [ -n "$perf_pid" ]; then kill -INT "$perf_pid"; wait "$perf_pid" || true; fi
syncs_after=$(webhook_syncs)

# --- webhook -> post visible --------------------------------------------------------------------
echo "latency: $samples webhook -> post visible samples ..." >&2
python3 - "$sim" "$http_port" "$socket" "$app_secret" "$samples" "${ig[@]:3}" >"$work/latency.txt" <<'PY'
import hashlib, hmac, http.client, json, socket, sys, time, urllib.request

sim, port, sock, secret, samples, accounts = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4].encode(), int(sys.argv[5]), sys.argv[6:]

class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=10)
        self.unix_path = path
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.unix_path)

def newest_post_id(account):
    connection = UnixConnection(sock)
    connection.request("GET", "/v1/posts?account=instagram:%s&limit=1" % account)
    response = connection.getresponse()
    posts = json.loads(response.read())
    connection.close()
    return posts[0]["postId"] if posts else None

acks, visible = [], []
# An account's next sample waits until its last run ended more than a second ago: a webhook
# sooner after a run waits for that second (AccountStateMachine.webhookSpacing), and this
# measures a webhook as it comes, not a storm.
done_at = {}
for n in range(samples):
    account = accounts[n % len(accounts)]
    time.sleep(max(0.0, done_at.get(account, 0.0) + 1.05 - time.perf_counter()))
    request = urllib.request.Request("%s/_sim/publish?account=instagram:%s" % (sim, account), method="POST")
    post = json.load(urllib.request.urlopen(request))["id"]
    body = json.dumps({"object": "instagram", "entry": [{"id": account, "time": int(time.time()), "changes": [{"field": "comments",
        "value": {"id": "178%d%d" % (n, time.time_ns()), "text": "latency", "media": {"id": post}}}]}]}, separators=(",", ":")).encode()
    signature = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
    t0 = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("POST", "/webhooks/instagram", body, {"Content-Type": "application/json", "X-Hub-Signature-256": signature})
    response = connection.getresponse()
    response.read()
    acks.append(time.perf_counter() - t0)
    connection.close()
    if response.status != 200:
        sys.exit("webhook answered %d" % response.status)
    while newest_post_id(account) != post:
        if time.perf_counter() - t0 > 30:
            sys.exit("post %s not visible after 30 s" % post)
        time.sleep(0.0005)
    visible.append(time.perf_counter() - t0)
    done_at[account] = time.perf_counter()

def percentile(values, p):  # nearest rank
    ordered = sorted(values)
    return ordered[max(0, -(-len(ordered) * p // 100) - 1)]
for name, values in (("ack", acks), ("visible", visible)):
    print(name, *("%.2f" % (1000 * v) for v in (percentile(values, 50), percentile(values, 99), min(values), max(values))))
PY

# --- report -------------------------------------------------------------------------------------
wrk_field() { # file, what (rps | p50 | p99 | non2xx | requests)
    python3 - "$1" "$2" <<'PY'
import re, sys
text, what = open(sys.argv[1]).read(), sys.argv[2]
def ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
if what == "rps":
    print("%.0f" % float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)))
elif what in ("p50", "p99"):
    m = re.search(r"^\s+%s%%\s+([\d.]+)(us|ms|s)\s*$" % what[1:], text, re.M)
    print("%.2f" % ms(*m.groups()))
elif what == "non2xx":
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    errors = re.search(r"Socket errors: (.*)", text)
    print((m.group(1) if m else "0") + ("" if not errors else " (socket errors: " + errors.group(1) + ")"))
elif what == "requests":
    print(re.search(r"(\d+) requests in", text).group(1))
PY
}
healthz_rps=$(wrk_field "$work/wrk-healthz.txt" rps)
unique_requests=$(wrk_field "$work/wrk-unique.txt" requests)
repeats=$((unique_requests > bodies ? unique_requests - bodies : 0))

echo
echo "postsync HTTP listener, $(nproc) CPU(s); wrk $duration, $threads thread(s), $connections connections"
# µs of CPU per request: the daemon's (from /proc) and wrk's (from /usr/bin/time).
cpu_per_request() { # file, daemon | wrk
    python3 - "$1" "$2" "$(wrk_field "$1" requests)" <<'PY'
import sys
path, who, requests = sys.argv[1], sys.argv[2], int(sys.argv[3])
if who == "daemon":
    before, after = map(float, open(path + ".daemon-cpu").read().split())
    seconds = after - before
else:
    seconds = sum(map(float, open(path + ".wrk-cpu").read().split()[-2:]))
print("%.1f" % (1e6 * seconds / max(1, requests)))
PY
}
healthz_daemon_us=$(cpu_per_request "$work/wrk-healthz.txt" daemon)
printf '%-42s %9s %9s %9s %9s %9s %10s %10s %10s\n' route req/s p50_ms p99_ms non_2xx vs_healthz daemon_us wrk_us \
    cpu_vs_hz
for row in "GET /healthz|healthz" "GET /healthz, Lua request()|healthz-lua" "POST /webhooks/instagram (unique bodies)|unique" \
    "POST /webhooks/instagram (duplicates)|dup"; do
    name=${row%|*}
    file="$work/wrk-${row#*|}.txt"
    rps=$(wrk_field "$file" rps)
    ratio=$(python3 -c "print('%.2f' % ($rps / $healthz_rps))")
    daemon_us=$(cpu_per_request "$file" daemon)
    cpu_ratio=$(python3 -c "print('%.2f' % ($healthz_daemon_us / max(0.1, $daemon_us)))")
    printf '%-42s %9s %9s %9s %9s %9s %10s %10s %10s\n' "$name" "$rps" "$(wrk_field "$file" p50)" "$(wrk_field "$file" p99)" \
        "$(wrk_field "$file" non2xx)" "$ratio" "$daemon_us" "$(cpu_per_request "$file" wrk)" "$cpu_ratio"
done
echo "daemon_us, wrk_us: CPU µs per request of the daemon and of wrk. cpu_vs_hz: the daemon's CPU per"
echo "/healthz request divided by its CPU per request of the row (the req/s ratio without the client)."
healthz_lua_rps=$(wrk_field "$work/wrk-healthz-lua.txt" rps)
echo "unique bodies vs /healthz requested the same way (Lua request()): $(python3 -c "print('%.2f' % ($(wrk_field "$work/wrk-unique.txt" rps) / $healthz_lua_rps))")"
echo "unique-body run: $unique_requests requests ($repeats repeated a body), $((syncs_after - syncs_before)) webhook syncs ran (coalesced per account)"
echo
echo "webhook -> post visible, $samples samples (ms)"
printf '%-30s %8s %8s %8s %8s\n' "" p50 p99 min max
while read -r name p50 p99 min max; do
    label="webhook answered (200)"
    [ "$name" = visible ] && label="post visible on control API"
    printf '%-30s %8s %8s %8s %8s\n' "$label" "$p50" "$p99" "$min" "$max"
done <"$work/latency.txt"
