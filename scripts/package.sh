#!/usr/bin/env bash
# Builds the Debian package postsync_<version>_<arch>.deb: a release binary with the Swift
# runtime linked statically (stripped), the systemd unit, the example config as a conffile,
# bash/zsh/fish completions, the man page, the copyright file and changelog, and maintainer
# scripts that create the postsync system user and group (scripts/lib/deb/).
#
#   scripts/package.sh [--version V] [--binary PATH] [--no-build] [--output DIR]
#
#   --version V     the package version (default: what `postsync --version` prints)
#   --binary PATH   package this binary (it must have the Swift runtime linked statically)
#   --no-build      reuse the binary at `swift build -c release --show-bin-path` (scripts/build-release.sh builds it)
#   --output DIR    where the .deb goes (default .build/deb); the path is printed last
#
# Without --binary or --no-build it runs `scripts/build-release.sh --product postsync`
# (incremental). Runs lintian when it is installed (errors fail the run).
# SOURCE_DATE_EPOCH (default: the last commit's time) fixes dates and mtimes.
set -euo pipefail
caller=$PWD
cd "$(dirname "$0")/.."
root=$PWD

usage() { sed -n '2,16s/^# \{0,1\}//p' "$0"; }
fail() { echo "package: $*" >&2; exit 1; }
say() { echo "package: $*"; }

version=""
binary=""
build=1
output=""
while [ $# -gt 0 ]; do
    case "$1" in
        --version) [ $# -ge 2 ] || fail "--version needs a value"; version=$2; shift 2 ;;
        --version=*) version=${1#--version=}; shift ;;
        --binary) [ $# -ge 2 ] || fail "--binary needs a path"; binary=$2; shift 2 ;;
        --binary=*) binary=${1#--binary=}; shift ;;
        --no-build) build=0; shift ;;
        --output) [ $# -ge 2 ] || fail "--output needs a directory"; output=$2; shift 2 ;;
        --output=*) output=${1#--output=}; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; fail "unknown argument: $1" ;;
    esac
done
for tool in dpkg-deb dpkg-shlibdeps strip gzip ldd; do
    command -v "$tool" >/dev/null 2>&1 || fail "$tool is missing (Debian: apt-get install dpkg-dev binutils)"
done

# The binary.
if [ -n "$binary" ]; then
    case "$binary" in /*) ;; *) binary="$caller/$binary" ;; esac
else
    if [ "$build" -eq 1 ]; then
        say "building: scripts/build-release.sh --product postsync"
        "$root/scripts/build-release.sh" --product postsync
    fi
    binary="$(swift build -c release --static-swift-stdlib --show-bin-path)/postsync"
fi
[ -x "$binary" ] || fail "no executable postsync at $binary"
if ldd "$binary" | grep -q 'libswift\|libFoundation\|libdispatch'; then
    fail "$binary links the Swift runtime dynamically; build it with --static-swift-stdlib"
fi
[ -n "$version" ] || version=$("$binary" --version)
case "$version" in
    [0-9]*) ;;
    *) fail "the version must start with a digit (Debian policy): $version" ;;
esac
arch=$(dpkg --print-architecture)
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}

work=$(mktemp -d "${TMPDIR:-/tmp}/postsync-package.XXXXXX")
trap 'rm -rf "$work"' EXIT
stage="$work/root"
doc="$stage/usr/share/doc/postsync"
install -d -m 0755 "$stage/DEBIAN" "$stage/usr/bin" "$stage/usr/lib/systemd/system" "$stage/etc/postsync" "$doc" \
    "$stage/usr/share/man/man1" "$stage/usr/share/bash-completion/completions" \
    "$stage/usr/share/zsh/vendor-completions" "$stage/usr/share/fish/vendor_completions.d"

# The binary, stripped (the debug info is most of its size).
install -m 0755 "$binary" "$stage/usr/bin/postsync"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$stage/usr/bin/postsync"
size_before=$(stat -c %s "$binary")
size_after=$(stat -c %s "$stage/usr/bin/postsync")
say "binary: $size_before bytes ($((size_before / 1048576)) MiB) unstripped, $size_after bytes ($((size_after / 1048576)) MiB) stripped"
say "dynamically linked: $(ldd "$stage/usr/bin/postsync" | awk '{print $1}' | tr '\n' ' ')"
bin="$stage/usr/bin/postsync"

# The unit runs the packaged binary.
sed "s#^ExecStart=/usr/local/bin/postsync #ExecStart=/usr/bin/postsync #; s#^\# Installed by scripts/install.sh .*#\# Installed by the postsync Debian package (scripts/package.sh).#" \
    systemd/postsync.service >"$stage/usr/lib/systemd/system/postsync.service"
grep -q '^ExecStart=/usr/bin/postsync serve ' "$stage/usr/lib/systemd/system/postsync.service" \
    || fail "could not rewrite ExecStart= in the unit"
chmod 0644 "$stage/usr/lib/systemd/system/postsync.service"

# The example config: a conffile, 0640 (postinst gives it the group postsync).
install -m 0640 systemd/postsync.yaml "$stage/etc/postsync/postsync.yaml"

# Completions and the man page, from the binary's own argument parser.
# A completion file is sourced, never run: no #! line.
"$bin" --generate-completion-script bash | sed '1{/^#!/d}' >"$stage/usr/share/bash-completion/completions/postsync"
"$bin" --generate-completion-script zsh >"$stage/usr/share/zsh/vendor-completions/_postsync"
"$bin" --generate-completion-script fish >"$stage/usr/share/fish/vendor_completions.d/postsync.fish"
scripts/generate-manpage.sh "$bin" | gzip -9n >"$stage/usr/share/man/man1/postsync.1.gz"

# Documentation: copyright, changelog (a native package: changelog.gz), the example config.
install -m 0644 scripts/lib/deb/copyright "$doc/copyright"
# The Maintainer: $POSTSYNC_MAINTAINER, else $DEBFULLNAME <$DEBEMAIL>, else the last commit's author.
maintainer=${POSTSYNC_MAINTAINER:-}
if [ -z "$maintainer" ] && [ -n "${DEBEMAIL:-}" ]; then maintainer="${DEBFULLNAME:-postsync maintainers} <$DEBEMAIL>"; fi
[ -n "$maintainer" ] || maintainer=$(git log -1 --format='%an <%ae>' 2>/dev/null || true)
[ -n "$maintainer" ] || fail "no maintainer: set POSTSYNC_MAINTAINER='Name <address>'"
{
    printf 'postsync (%s) unstable; urgency=medium\n\n' "$version"
    printf '  * Release %s (%s).\n\n' "$version" "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    printf ' -- %s  %s\n' "$maintainer" "$(date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n >"$doc/changelog.gz"
install -d -m 0755 "$stage/usr/share/lintian/overrides"
install -m 0644 scripts/lib/deb/lintian-overrides "$stage/usr/share/lintian/overrides/postsync"
install -d -m 0755 "$doc/examples"
install -m 0644 systemd/postsync.yaml "$doc/examples/postsync.yaml"
find "$stage/usr/share" -type f -exec chmod 0644 {} +

# Maintainer scripts and control files.
for script in postinst prerm postrm; do install -m 0755 "scripts/lib/deb/$script" "$stage/DEBIAN/$script"; done
echo /etc/postsync/postsync.yaml >"$stage/DEBIAN/conffiles"
chmod 0644 "$stage/DEBIAN/conffiles"
# The shared libraries' packages, as dpkg-shlibdeps computes them (it wants a debian/control).
mkdir -p "$work/src/debian"
printf 'Source: postsync\n\nPackage: postsync\nArchitecture: any\n' >"$work/src/debian/control"
depends=$(cd "$work/src" && dpkg-shlibdeps -O "$stage/usr/bin/postsync" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || fail "dpkg-shlibdeps found no dependencies"
# Packed relative relocations (DT_RELR, Package.swift's releaseLinking) need glibc 2.36 to start,
# which dpkg-shlibdeps does not know: it asks only for the newest versioned symbol's glibc.
if readelf -V "$stage/usr/bin/postsync" 2>/dev/null | grep -q GLIBC_ABI_DT_RELR; then
    depends=$(echo "$depends" | sed -E 's/libc6 \(>= [0-9.]+\)/libc6 (>= 2.36)/')
    case "$depends" in *"libc6 (>= 2.36)"*) ;; *) fail "no libc6 dependency to raise to 2.36 in: $depends" ;; esac
fi
installed_size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
cat >"$stage/DEBIAN/control" <<EOF
Package: postsync
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $installed_size
Depends: $depends, adduser
Section: net
Priority: optional
Description: Instagram and TikTok post and metrics sync daemon
 postsync keeps every connected Instagram and TikTok account's posts and
 metrics in a local SQLite database, on a schedule and on webhooks, with a
 JSON-lines SyncLog, a control socket and CLI, and Prometheus metrics.
 .
 The package installs a hardened systemd unit (Type=notify, watchdog) that is
 not enabled: edit /etc/postsync/postsync.yaml first, then run
 systemctl enable --now postsync.
EOF
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) >"$stage/DEBIAN/md5sums"
chmod 0644 "$stage/DEBIAN/control" "$stage/DEBIAN/md5sums"
find "$stage" -newermt "@$SOURCE_DATE_EPOCH" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

case "$output" in "") output="$root/.build/deb" ;; /*) ;; *) output="$caller/$output" ;; esac
mkdir -p "$output"
deb="$output/postsync_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
say "built $deb ($(stat -c %s "$deb") bytes)"

if command -v lintian >/dev/null 2>&1; then
    # Errors fail the package; warnings are printed. The overrides, each with its reason, are
    # scripts/lib/deb/lintian-overrides (shipped as /usr/share/lintian/overrides/postsync).
    report=$(lintian --tag-display-limit 0 "$deb" 2>&1) || true
    [ -z "$report" ] || printf '%s\n' "$report"
    if printf '%s\n' "$report" | grep -q '^E: '; then fail "lintian reported errors"; fi
    say "lintian: no errors ($(printf '%s\n' "$report" | grep -c '^W: ' || true) warnings)"
else
    say "lintian is not installed (apt-get install lintian); not checked"
fi
echo "$deb"
