#!/usr/bin/env bash
# Benchmark of the adaptive schedule (CONTRACT section 12): the real planner code
# (AccountStateMachine, PostingRhythm, ScheduleBoard) under a virtual clock, no HTTP, one simulated
# week, fixed (`interval: 15m`) against adaptive at the same number of sync calls.
#
#   scripts/bench-schedule.sh                  # patterned, Poisson control and budget-bound cases
#   scripts/bench-schedule.sh --workload patterned --accounts 10000 --seed 42
#   scripts/bench-schedule.sh --trace posts.jsonl   # replay {"account":"…","publishedAt":"RFC 3339"} lines
#   scripts/bench-schedule.sh --json           # one case's figures as one JSON object
#
# It prints, for fixed and adaptive: posts, sync calls, the new-post delay (publication -> stored)
# p50/p90/p99/max, the longest gap between two syncs of any account, and the metric staleness of
# posts younger than 48 h (the mean age of their stored metrics). Builds the ScheduleBench product
# in release mode; CI does not run it.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -d /opt/swift/usr/bin ]; then export PATH="/opt/swift/usr/bin:$PATH"; fi

source scripts/lib/bench-common.sh
bench=$(release_binary ScheduleBench)

if [ $# -gt 0 ]; then
    exec "$bench" "$@"
fi
for workload in patterned poisson budget; do
    echo "== $workload"
    "$bench" --workload "$workload"
    echo
done
