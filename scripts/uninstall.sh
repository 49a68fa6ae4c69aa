#!/usr/bin/env bash
# Removes what scripts/install.sh installed: the binary, the unit, the shell completions, the
# man page and the example under share/doc. It keeps /etc/postsync (config and credentials),
# /var/lib/postsync (the store and the SyncLog) and the user postsync, so a reinstall picks up
# where it left off. It never runs systemctl.
#
#   scripts/uninstall.sh [--prefix DIR] [--destdir DIR]
#
#   --prefix DIR   the prefix given to install.sh (default /usr/local)
#   --destdir DIR  the staging directory given to install.sh
#
# Stop the service first: systemctl disable --now postsync
set -euo pipefail

usage() { sed -n '2,12s/^# \{0,1\}//p' "$0"; }
fail() { echo "uninstall: $*" >&2; exit 1; }

prefix=/usr/local
destdir=""
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) [ $# -ge 2 ] || fail "--prefix needs a directory"; prefix=$2; shift 2 ;;
        --prefix=*) prefix=${1#--prefix=}; shift ;;
        --destdir) [ $# -ge 2 ] || fail "--destdir needs a directory"; destdir=$2; shift 2 ;;
        --destdir=*) destdir=${1#--destdir=}; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; fail "unknown argument: $1" ;;
    esac
done
case "$prefix" in
    /*) prefix=${prefix%/} ;;
    *) fail "--prefix must be an absolute path: $prefix" ;;
esac
if [ -n "$destdir" ]; then
    [ -d "$destdir" ] || fail "no such directory: $destdir"
    destdir=$(cd "$destdir" && pwd)
elif [ "$(id -u)" -ne 0 ]; then
    fail "uninstalling from / needs root"
fi

share="$destdir$prefix/share"
files=(
    "$destdir$prefix/bin/postsync"
    "$destdir/etc/systemd/system/postsync.service"
    "$share/bash-completion/completions/postsync"
    "$share/zsh/site-functions/_postsync"
    "$share/fish/vendor_completions.d/postsync.fish"
    "$share/man/man1/postsync.1"
    "$share/doc/postsync/postsync.yaml"
)
for file in "${files[@]}"; do
    if [ -e "$file" ]; then
        rm -f "$file"
        echo "uninstall: removed $file"
    fi
done
rmdir "$share/doc/postsync" 2>/dev/null || true

echo "uninstall: kept $destdir/etc/postsync (config, credentials) and $destdir/var/lib/postsync (store, SyncLog)"
echo "uninstall: kept the user postsync; remove it with: userdel postsync"
if [ -z "$destdir" ]; then
    echo "Now run: systemctl daemon-reload"
fi
