#!/usr/bin/env bash
# Benchmark: formats and parses per second of `Timestamp` (the hand-written RFC 3339 code every
# stored post goes through) against Foundation's `ISO8601DateFormatter` and
# `Date.ISO8601FormatStyle`, with fractional seconds, side by side in one run.
#
#   scripts/bench-timestamp.sh            # 200,000 of each operation per implementation
#   scripts/bench-timestamp.sh 1000000    # more iterations
#
# It compiles `Sources/PostSync/Support/Timestamp.swift` with `scripts/bench-timestamp.swift` into one
# optimised binary with `swiftc`, so it builds neither the package nor a product, and CI does not run
# it.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -d /opt/swift/usr/bin ]; then export PATH="/opt/swift/usr/bin:$PATH"; fi

work=$(mktemp -d /tmp/postsync-bench-timestamp.XXXXXX)
trap 'rm -rf "$work"' EXIT

swiftc -O -parse-as-library -module-name TimestampBench \
    Sources/PostSync/Support/Timestamp.swift scripts/bench-timestamp.swift -o "$work/bench-timestamp"
"$work/bench-timestamp" "$@"
