#!/usr/bin/env bash
# Installs postsync as a systemd service: the binary, the unit, an example config (never
# overwriting an existing one), the credentials directory, shell completions and a man page.
# It never runs systemctl; it prints the commands to run.
#
#   scripts/install.sh [--prefix DIR] [--destdir DIR] [--no-build]
#
#   --prefix DIR   where the binary, completions and man page go (default /usr/local)
#   --destdir DIR  stage the install under DIR (packaging, tests): no user is created and
#                  nothing outside DIR is touched
#   --no-build     do not run `swift build`; install $POSTSYNC_BINARY, else .build/release/postsync
#
# Without --destdir it must run as root; it then creates the system user and group `postsync`
# when they do not exist yet.
set -euo pipefail
# Relative --destdir and $POSTSYNC_BINARY mean the caller's directory; the sources are read
# from the checkout this script belongs to.
caller=$PWD
cd "$(dirname "$0")/.."

usage() { sed -n '2,15s/^# \{0,1\}//p' "$0"; }
fail() { echo "install: $*" >&2; exit 1; }
say() { echo "install: $*"; }

prefix=/usr/local
destdir=""
build=1
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) [ $# -ge 2 ] || fail "--prefix needs a directory"; prefix=$2; shift 2 ;;
        --prefix=*) prefix=${1#--prefix=}; shift ;;
        --destdir) [ $# -ge 2 ] || fail "--destdir needs a directory"; destdir=$2; shift 2 ;;
        --destdir=*) destdir=${1#--destdir=}; shift ;;
        --no-build) build=0; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; fail "unknown argument: $1" ;;
    esac
done
case "$prefix" in
    /*) prefix=${prefix%/} ;;
    *) fail "--prefix must be an absolute path (it is written into the unit): $prefix" ;;
esac
if [ -n "$destdir" ]; then
    case "$destdir" in /*) ;; *) destdir="$caller/$destdir" ;; esac
    mkdir -p "$destdir"
    destdir=$(cd "$destdir" && pwd)
elif [ "$(id -u)" -ne 0 ]; then
    fail "installing to / needs root (or stage it with --destdir DIR)"
fi

# The binary: a fresh release build, or one built elsewhere.
if [ "$build" -eq 1 ]; then
    say "building release binary (swift build -c release --product postsync)"
    swift build -c release --product postsync
    binary="$(swift build -c release --show-bin-path)/postsync"
else
    binary=${POSTSYNC_BINARY:-.build/release/postsync}
    if [ -n "${POSTSYNC_BINARY:-}" ]; then
        case "$binary" in /*) ;; *) binary="$caller/$binary" ;; esac
    fi
fi
[ -x "$binary" ] || fail "no executable postsync at $binary (build it, or set POSTSYNC_BINARY)"

bindir="$destdir$prefix/bin"
unitdir="$destdir/etc/systemd/system"
confdir="$destdir/etc/postsync"
sharedir="$destdir$prefix/share"

install -d -m 0755 "$bindir"
install -m 0755 "$binary" "$bindir/postsync"
say "installed $bindir/postsync"

# The unit names the binary by its final path (without DESTDIR).
install -d -m 0755 "$unitdir"
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
sed "s#^ExecStart=/usr/local/bin/postsync #ExecStart=$prefix/bin/postsync #" systemd/postsync.service >"$tmp"
grep -q "^ExecStart=$prefix/bin/postsync serve " "$tmp" || fail "could not rewrite ExecStart= in the unit"
install -m 0644 "$tmp" "$unitdir/postsync.service"
say "installed $unitdir/postsync.service (ExecStart=$prefix/bin/postsync)"

# Only root and the group postsync may read the config: an operator might still put a secret
# inline. The group exists only on a real install; a packager sets it for a staged one.
real_root=0
[ -z "$destdir" ] && real_root=1
if [ "$real_root" -eq 1 ] && ! getent passwd postsync >/dev/null; then
    if getent group postsync >/dev/null; then group_option=(--gid postsync); else group_option=(--user-group); fi
    useradd --system --no-create-home --home-dir /var/lib/postsync --shell /usr/sbin/nologin \
        "${group_option[@]}" postsync
    say "created the system user and group postsync"
fi

install -d -m 0755 "$confdir"
if [ -e "$confdir/postsync.yaml" ]; then
    say "kept the existing $confdir/postsync.yaml (never overwritten); the new example is in $sharedir/doc/postsync/postsync.yaml"
else
    install -m 0640 systemd/postsync.yaml "$confdir/postsync.yaml"
    if [ "$real_root" -eq 1 ]; then chgrp postsync "$confdir/postsync.yaml"; fi
    say "installed the example config $confdir/postsync.yaml"
fi
install -d -m 0755 "$sharedir/doc/postsync"
install -m 0644 systemd/postsync.yaml "$sharedir/doc/postsync/postsync.yaml"

# Secrets for LoadCredential=: read by the service manager as root, never by the daemon's user.
install -d -m 0700 "$confdir/credentials"
say "credentials directory $confdir/credentials (mode 0700)"

# Completions and the man page come from the binary's own argument parser.
install -d -m 0755 "$sharedir/bash-completion/completions" "$sharedir/zsh/site-functions" \
    "$sharedir/fish/vendor_completions.d" "$sharedir/man/man1"
"$binary" --generate-completion-script bash >"$tmp"
install -m 0644 "$tmp" "$sharedir/bash-completion/completions/postsync"
"$binary" --generate-completion-script zsh >"$tmp"
install -m 0644 "$tmp" "$sharedir/zsh/site-functions/_postsync"
"$binary" --generate-completion-script fish >"$tmp"
install -m 0644 "$tmp" "$sharedir/fish/vendor_completions.d/postsync.fish"
say "installed bash, zsh and fish completions under $sharedir"
scripts/generate-manpage.sh "$binary" >"$tmp"
install -m 0644 "$tmp" "$sharedir/man/man1/postsync.1"
say "installed the man page $sharedir/man/man1/postsync.1"

echo
if [ "$real_root" -eq 1 ]; then
    cat <<EOF
Next steps (run them yourself; this script never calls systemctl):
  1. Edit /etc/postsync/postsync.yaml; put secrets in /etc/postsync/credentials/<name> and
     uncomment the matching *_file keys (see the comments in both files).
  2. systemctl daemon-reload
  3. systemctl enable --now postsync
  4. usermod -aG postsync \$USER     # lets you use the postsync client commands (log in again)
  5. export POSTSYNC_SOCKET=/run/postsync/control.sock   # or pass --socket / --config to clients
  6. systemctl status postsync; journalctl -u postsync -f
EOF
else
    cat <<EOF
Staged install in $destdir. On the target system:
  - create the system user: useradd --system --no-create-home --home-dir /var/lib/postsync --shell /usr/sbin/nologin --user-group postsync
  - chgrp postsync /etc/postsync/postsync.yaml
  - systemctl daemon-reload
  - systemctl enable --now postsync
  - usermod -aG postsync \$USER
  - clients: export POSTSYNC_SOCKET=/run/postsync/control.sock (or pass --socket / --config)
EOF
fi
