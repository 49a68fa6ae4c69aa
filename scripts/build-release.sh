#!/usr/bin/env bash
# Builds the release binary as it ships (CI, scripts/package.sh and the benchmarks call this):
#
#   scripts/build-release.sh [--product postsync] [other swift build arguments]
#
# - the Swift runtime and Foundation linked statically (--static-swift-stdlib): the binary needs
#   no toolchain where it runs;
# - every Swift function in a section of its own (-function-sections, for every module, the
#   dependencies' as well), so that the link can place the functions the daemon runs side by
#   side (scripts/link-order.txt, Package.swift's `codeOrdering`): the code resident in a daemon
#   is then what it runs, not the 32 MB they were spread through.
#
# Build with the same flags every time: other flags rebuild every module of .build/release. The
# binary's path is `swift build -c release --show-bin-path`/postsync (flags do not change it).
set -euo pipefail
cd "$(dirname "$0")/.."
exec swift build -c release --static-swift-stdlib -Xswiftc -Xfrontend -Xswiftc -function-sections "$@"
