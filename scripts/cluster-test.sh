#!/usr/bin/env bash
# Cluster test (CONTRACT section 10): several `postsync serve` on one PostgreSQL, against the
# simulator, while daemons are killed, paused past their lease and the database is stopped.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: scripts/cluster-test.sh [--daemons D] [--accounts A] [--duration S] [options]

Starts `postsync simulate` (half Instagram, half TikTok accounts; tiktok.refresh_before 3h, so
every TikTok sync refreshes and rotates its refresh token), imports the accounts into a fresh
PostgreSQL schema and runs D daemons on it (sync.interval 10s, jitter 0, sync.deadline 4s,
sync.max_concurrent 32, cluster.lease 6s, tiktok.requests_per_minute 500). After a warm-up it
repeats, until the duration is over: kill -9 a random daemon and start it again 2 s later;
SIGSTOP one for lease + 3 s and SIGCONT it; stop PostgreSQL for 10 s; with 25 s between the
actions and a post published now and then. Then it lets every daemon settle, stops them with SIGTERM (each must exit 0) and checks:

  overlapping runs          accounts whose runs (started_at..created_at in sync_log) overlapped
                            in time on two daemons
  fenced writes accepted    sync_log rows written by a daemon that did not hold the account's
                            lease at that moment (from a lease history the test records with a
                            trigger of its own; 200 ms of tolerance for the commit of a claim)
  lost rotated tokens       TikTok refresh tokens in the database that are not the simulator's
                            current ones, or accounts in needs_reauth, not explained by a kill -9
                            that landed while that daemon's refresh was on the wire
  lost / phantom / duplicate posts
  longest gap after a kill  the longest time an account of a killed or paused daemon went
                            without a run (≤ 2 × lease + interval)
  TikTok calls per minute   the most calls of all daemons together in any 60 s, per endpoint,
                            from the cluster's shared budget (≤ 500), and the requests the
                            simulator refused for exceeding 600/min (0)
  balance                   max − min accounts per live daemon after settling (≤ 1)
  unclean exits             daemons that did not exit 0 on SIGTERM, or died unkilled

Options:
  --daemons D      daemons (default 3)
  --accounts A     simulator accounts (default 300)
  --duration S     seconds of chaos and settling (default 240)
  --seed S         simulator seed and seed of the choices (default 1)
  --bin PATH       postsync binary (default $POSTSYNC_BIN, else .build/release/postsync)
  --keep           keep the work directory (it is always kept when a check fails)
  -h, --help       this help

Runs itself inside scripts/with-postgres.sh (a throwaway server it may stop) unless
$POSTSYNC_TEST_PG_CTL is set.
EOF
}

daemons=3
accounts=300
duration=240
seed=1
keep=0
bin="${POSTSYNC_BIN:-}"
args=("$@")
while [ $# -gt 0 ]; do
    case "$1" in
        --daemons) daemons="${2:?--daemons needs a value}"; shift 2 ;;
        --accounts) accounts="${2:?--accounts needs a value}"; shift 2 ;;
        --duration) duration="${2:?--duration needs a value}"; shift 2 ;;
        --seed) seed="${2:?--seed needs a value}"; shift 2 ;;
        --bin) bin="${2:?--bin needs a value}"; shift 2 ;;
        --keep) keep=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "cluster-test: unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done
for value in "$daemons" "$accounts" "$duration" "$seed"; do
    [[ "$value" =~ ^[0-9]+$ ]] || { echo "cluster-test: not a non-negative integer: $value" >&2; exit 2; }
done

name=cluster-test
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ -z "${POSTSYNC_TEST_PG_CTL:-}" ]; then
    exec "$root/scripts/with-postgres.sh" "$root/scripts/cluster-test.sh" "${args[@]}"
fi
source "$root/scripts/lib/harness.sh"
require_prerequisites
command -v psql >/dev/null || { echo "$name: needs psql (Debian: postgresql-client)" >&2; exit 2; }
export CHECK_DATABASE_URL="$POSTSYNC_TEST_DATABASE_URL" CHECK_DATABASE_SCHEMA="cluster_test_$$"
lease=6
interval=10
sql() { psql -X -q -v ON_ERROR_STOP=1 "$CHECK_DATABASE_URL" "$@"; }
sql -c "DROP SCHEMA IF EXISTS $CHECK_DATABASE_SCHEMA CASCADE" >/dev/null
pg_down=0
cleanup_hook() {
    if [ "$pg_down" = 1 ]; then "$POSTSYNC_TEST_PG_CTL" start || true; fi
    if [ "$keep" = 1 ] || [ "$failed" != 0 ]; then
        pg_dump --no-owner --schema="$CHECK_DATABASE_SCHEMA" -f "$work/postgres-dump.sql" "$CHECK_DATABASE_URL" \
            2>/dev/null && echo "$name: the database is dumped in $work/postgres-dump.sql" >&2
    fi
    sql -c "DROP SCHEMA IF EXISTS $CHECK_DATABASE_SCHEMA CASCADE" >/dev/null 2>&1 || true
}
sim_pid=""
cleanup_pids="sim_pid"
for i in $(seq 1 "$daemons"); do
    declare "pid_$i="
    cleanup_pids="pid_$i $cleanup_pids"
done
make_work_dir
RANDOM=$seed

start_simulator 300 --accounts "$accounts" --posts 5 --seed "$seed"
write_config "  refresh_before: 3h" "  requests_per_minute: 500" <<YAML
sync:
  schedule: fixed
  interval: ${interval}s
  jitter: 0
  deadline: 4s
  backoff: {min: 1s, max: 4s}
  # A run waiting for the shared TikTok budget holds its slot: enough slots that an account taken
  # over from a dead daemon does not queue behind them.
  max_concurrent: 32
database:
  url: $CHECK_DATABASE_URL
  schema: $CHECK_DATABASE_SCHEMA
  tls: disable
  max_connections: 6
YAML
import_accounts

# The test's own record of who held each lease when (the daemons never read it), and of every
# call the cluster's TikTok budget granted (its table keeps only the last minute).
sql <<SQL >/dev/null
CREATE TABLE $CHECK_DATABASE_SCHEMA.lease_history (account_id text, owner text, epoch bigint, at timestamptz);
CREATE FUNCTION $CHECK_DATABASE_SCHEMA.record_lease() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN
    INSERT INTO $CHECK_DATABASE_SCHEMA.lease_history VALUES (NEW.id, NEW.lease_owner, NEW.lease_epoch, clock_timestamp());
    RETURN NEW;
END \$\$;
CREATE TRIGGER lease_history AFTER UPDATE OF lease_owner, lease_epoch ON $CHECK_DATABASE_SCHEMA.accounts
    FOR EACH ROW WHEN (OLD.lease_owner IS DISTINCT FROM NEW.lease_owner OR OLD.lease_epoch IS DISTINCT FROM NEW.lease_epoch)
    EXECUTE FUNCTION $CHECK_DATABASE_SCHEMA.record_lease();
CREATE TABLE $CHECK_DATABASE_SCHEMA.budget_history (endpoint text, at timestamptz);
CREATE FUNCTION $CHECK_DATABASE_SCHEMA.record_grant() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN
    INSERT INTO $CHECK_DATABASE_SCHEMA.budget_history VALUES (NEW.endpoint, NEW.at);
    RETURN NEW;
END \$\$;
CREATE TRIGGER budget_history AFTER INSERT ON $CHECK_DATABASE_SCHEMA.budget_grants
    FOR EACH ROW EXECUTE FUNCTION $CHECK_DATABASE_SCHEMA.record_grant();
SQL

event() { echo "$(now_ms) $*" >>"$work/events.txt"; }
incarnation=0
start_member() { # I
    local i=$1
    incarnation=$((incarnation + 1))
    [ -f "$work/d$i.yaml" ] || { cat "$work/postsync.yaml"; printf 'cluster:\n  node_id: d%s\n  lease: %ss\n' "$i" "$lease"; } >"$work/d$i.yaml"
    "$bin" serve --config "$work/d$i.yaml" --state-dir "$work/state-$i" --log-level info \
        >>"$work/serve-$i.out" 2>"$work/serve-$i-$incarnation.err" &
    declare -g "pid_$i=$!"
    event start "d$i" "$!"
}
pid_of() { local v="pid_$1"; echo "${!v}"; }
unexpected=0
# check_alive: a daemon that died without being killed is counted and started again.
check_alive() {
    local i pid
    for i in $(seq 1 "$daemons"); do
        pid="$(pid_of "$i")"
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
            unexpected=$((unexpected + 1))
            log "d$i (pid $pid) died unkilled"
            event died "d$i"
            start_member "$i"
        fi
    done
}

for i in $(seq 1 "$daemons"); do start_member "$i"; done
started=$SECONDS
# Warm-up: every daemon claims its share and the first syncs run.
sleep 15
published=0
round=0
while [ $((SECONDS - started)) -lt $((duration - 40)) ]; do
    check_alive
    victim=$((1 + RANDOM % daemons))
    case $((round % 3)) in
        0)
            log "kill -9 d$victim"
            event kill "d$victim"
            { kill -KILL "$(pid_of "$victim")"; wait "$(pid_of "$victim")"; } 2>/dev/null || true
            sleep 2
            start_member "$victim"
            ;;
        1)
            log "SIGSTOP d$victim for $((lease + 3)) s"
            event pause "d$victim"
            kill -STOP "$(pid_of "$victim")"
            sleep $((lease + 3))
            kill -CONT "$(pid_of "$victim")"
            event resume "d$victim"
            ;;
        2)
            log "PostgreSQL stopped for 10 s"
            event pgstop
            pg_down=1
            "$POSTSYNC_TEST_PG_CTL" stop
            sleep 10
            "$POSTSYNC_TEST_PG_CTL" start
            pg_down=0
            event pgstart
            ;;
    esac
    round=$((round + 1))
    target="$(curl -sS --fail "$sim/_sim/accounts" | python3 -c 'import json,sys,random; a=json.load(sys.stdin); random.seed(int(sys.argv[1])); x=random.choice(a); print(x["platform"]+":"+x["externalId"])' "$RANDOM")"
    curl -sS --fail -o /dev/null -X POST "$sim/_sim/publish?account=$target" && published=$((published + 1))
    sleep 25
done
# Settle: two intervals and two leases without chaos, then a clean stop of every daemon.
check_alive
event settle
sleep $((2 * interval + 2 * lease))
check_alive
sql -At -c "SELECT count(*) FROM $CHECK_DATABASE_SCHEMA.accounts a JOIN $CHECK_DATABASE_SCHEMA.nodes n ON n.id = a.lease_owner
    WHERE a.lease_expires_at > now() GROUP BY a.lease_owner" >"$work/balance.txt"
unclean=0
for i in $(seq 1 "$daemons"); do
    pid="$(pid_of "$i")"
    kill -TERM "$pid"
done
for i in $(seq 1 "$daemons"); do
    pid="$(pid_of "$i")"
    rc=0
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; rc=timeout; fi
    { wait "$pid"; } 2>/dev/null || rc=$?
    [ "$rc" = 0 ] || { unclean=$((unclean + 1)); log "d$i exited $rc on SIGTERM"; }
    declare -g "pid_$i="
done
event stopped
released="$(sql -At -c "SELECT count(*) FROM $CHECK_DATABASE_SCHEMA.accounts WHERE lease_owner IS NOT NULL")"

run_checks "$work" "$sim" "$lease" "$interval" "$unexpected" "$unclean" "$released" "$published" <<'PY'
import json, os, sys, urllib.parse, urllib.request
from checks import open_store, over_limit, print_table, ts

work, sim = sys.argv[1], sys.argv[2]
lease, interval, unexpected, unclean, released, published = (int(x) for x in sys.argv[3:9])
db = open_store(work)

def get(path):
    with urllib.request.urlopen(sim + path, timeout=60) as r:
        return json.load(r)

def f(x):
    return float(x)

events = []
for line in open(os.path.join(work, "events.txt")):
    parts = line.split()
    events.append((int(parts[0]) / 1000, parts[1], parts[2] if len(parts) > 2 else None))
entries = [(a, n, f(s), f(c), st) for a, n, s, c, st in db.rows(
    "SELECT account_id, node, extract(epoch FROM started_at), extract(epoch FROM created_at), status FROM sync_log")]
history = {}
for a, owner, epoch, at in db.rows(
        "SELECT account_id, owner, epoch, extract(epoch FROM at) FROM lease_history ORDER BY at"):
    history.setdefault(a, []).append((f(at), owner))

def holder(account, t):
    h = None
    for at, owner in history.get(account, []):
        if at > t:
            break
        h = owner
    return h

by_account = {}
for e in entries:
    by_account.setdefault(e[0], []).append(e)

# Overlapping runs on two daemons.
overlapping = 0
for a, es in by_account.items():
    es.sort(key=lambda e: e[2])
    if any(x[1] != y[1] and y[2] < x[3] for i, x in enumerate(es) for y in es[i + 1:]):
        overlapping += 1

# Writes accepted from a daemon that did not hold the lease.
fenced_accepted = 0
for a, n, s, c, st in entries:
    if holder(a, c) != n and holder(a, c - 0.2) != n:
        fenced_accepted += 1

# Tokens.
sim_accounts = get("/_sim/accounts")
current = {x["platform"] + ":" + x["externalId"]: x for x in sim_accounts}
requests = get("/_sim/requests")
kills = [(t, node) for t, kind, node in events if kind == "kill"]
def explained(account):
    grants = [ts(r["at"]) for r in requests if r["endpoint"] == "tiktok.oauth.token"
              and r.get("accountId") == account and r["status"] == 200]
    return any(holder(account, k) == node and any(k - 2 <= g <= k + 1 for g in grants) for k, node in kills)
lost_tokens, wire_lost = 0, 0
for acc, token, state in db.rows("SELECT id, refresh_token, state FROM accounts"):
    bad = state == "needs_reauth" or (acc.startswith("tiktok:") and token != current[acc]["refreshToken"])
    if bad:
        if explained(acc):
            wire_lost += 1
        else:
            lost_tokens += 1
            print(f"{acc}: refresh token lost (state {state})", file=sys.stderr)

# Posts.
stored = {}
for acc, post in db.rows("SELECT account_id, post_id FROM posts"):
    stored.setdefault(acc, set()).add(post)
lost, phantom = 0, 0
for key in current:
    sim_ids = {p["id"] for p in get("/_sim/posts?account=" + urllib.parse.quote(key))}
    lost += len(sim_ids - stored.get(key, set()))
    phantom += len(stored.get(key, set()) - sim_ids)
duplicates = int(db.rows(
    "SELECT count(*) FROM (SELECT 1 FROM posts GROUP BY post_id HAVING count(DISTINCT account_id) > 1) AS d")[0][0])

# The longest time an account of a killed or paused daemon went without a run.
inactive = {a for a, st, auto in db.rows("SELECT id, state, auto_sync FROM accounts")
            if st in ("needs_reauth", "quarantined") or auto in ("f", False, 0)}
longest, where = 0.0, ""
for t, kind, node in events:
    if kind not in ("kill", "pause"):
        continue
    for a in by_account:
        if a in inactive or holder(a, t) != node:
            continue
        after = [s for _, _, s, _, _ in by_account[a] if s > t]
        gap = (min(after) if after else events[-1][0]) - t
        if gap > longest:
            longest, where = gap, f"{a} after {kind} of {node}"

# The cluster's TikTok calls per minute, per endpoint (exact grant times).
per_endpoint = {}
for endpoint, at in db.rows("SELECT endpoint, extract(epoch FROM at) FROM budget_history ORDER BY at"):
    per_endpoint.setdefault(endpoint, []).append(f(at))
busiest = 0
for times in per_endpoint.values():
    j = 0
    for i, t in enumerate(times):
        while times[j] <= t - 60:
            j += 1
        busiest = max(busiest, i - j + 1)
refused = over_limit(requests)

balance_counts = [int(x) for x in open(os.path.join(work, "balance.txt")).read().split()]
spread = (max(balance_counts) - min(balance_counts)) if balance_counts else 0
bound = 2 * lease + interval

table = [
    ("runs", len(entries), "", None),
    ("overlapping runs", overlapping, "0", overlapping == 0),
    ("fenced writes accepted", fenced_accepted, "0", fenced_accepted == 0),
    ("lost rotated tokens", lost_tokens, "0", lost_tokens == 0),
    ("rotations lost on the wire (kill -9)", wire_lost, "", None),
    ("lost posts", lost, "0", lost == 0),
    ("phantom posts", phantom, "0", phantom == 0),
    ("duplicate posts", duplicates, "0", duplicates == 0),
    ("posts published during the test", published, "", None),
    (f"longest gap after a kill/pause, s", round(longest, 1), f"<= {bound}", longest <= bound),
    ("TikTok calls in any 60 s, one endpoint", busiest, "<= 500", busiest <= 500),
    ("requests refused by the simulator", refused, "0", refused == 0),
    ("accounts per daemon after settling", "/".join(map(str, sorted(balance_counts))), "", None),
    ("balance (max - min)", spread, "<= 1", spread <= 1),
    ("leases left after SIGTERM", released, "0", released == 0),
    ("unclean exits", unclean + unexpected, "0", unclean + unexpected == 0),
]
if where:
    print(f"longest gap: {where}", file=sys.stderr)
sys.exit(1 if print_table(table, 42, 12, 8, 72) else 0)
PY
