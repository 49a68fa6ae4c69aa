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
# SwiftPM does not recompile a module whose sources did not change when only -Xswiftc flags did,
# so objects of an earlier plain `swift build -c release` would keep their old sections: the first
# run here deletes the release objects of Swift modules once (a full rebuild) and leaves a stamp.
# The binary's path is `swift build -c release --show-bin-path`/postsync (flags do not change it).
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=.build/release-function-sections.stamp
if [ -d .build/release/ ] && [ ! -f "$stamp" ]; then
    echo "build-release: first build with -function-sections here: the release objects are rebuilt" >&2
    find .build/release/ -name '*.swift.o' -delete
fi
# Nor does it relink when only the layout list changed (it is no input it knows of).
bin_dir=$(swift build -c release --show-bin-path)
if [ -f "$bin_dir/postsync" ] && [ scripts/link-order.txt -nt "$bin_dir/postsync" ]; then
    rm -f "$bin_dir/postsync"
fi
swift build -c release --static-swift-stdlib -Xswiftc -Xfrontend -Xswiftc -function-sections "$@"
mkdir -p .build && touch "$stamp"
