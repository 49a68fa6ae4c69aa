#!/usr/bin/env bash
# Writes the postsync(1) man page (roff) to stdout, generated from the argument parser's own
# help: `postsync --help` and every (nested) subcommand's `--help`, so the page never drifts
# from the binary. ArgumentParser's generate-manual plugin would need SwiftPM plugins and the
# network; this needs only bash and awk.
#
#   scripts/generate-manpage.sh [BINARY] > postsync.1     # BINARY defaults to .build/release/postsync
#
# SOURCE_DATE_EPOCH (reproducible builds) fixes the date in the page header.
set -euo pipefail

usage() {
    sed -n '2,9s/^# \{0,1\}//p' "$0"
}
case "${1:-}" in
    -h | --help) usage; exit 0 ;;
esac

bin=${1:-.build/release/postsync}
if [ ! -x "$bin" ]; then
    echo "generate-manpage: $bin is not an executable; pass the postsync binary" >&2
    exit 1
fi

# Turns one `--help` text into roff. mode=root gives NAME/SYNOPSIS/DESCRIPTION/OPTIONS; mode=sub
# gives one subsection titled with the command path. Help lists (OPTIONS:, ARGUMENTS:,
# SUBCOMMANDS:, ...) are "  label  description" lines with indented continuation lines.
# Written for POSIX awk (Debian's default is mawk: no gensub, no match() arrays).
read -r -d '' convert <<'AWK' || true
# Backslashes become \e; every "-" becomes \- so options copy and paste as ASCII.
function esc(s) { gsub(/\\/, "\\e", s); gsub(/-/, "\\-", s); return s }
function line(s) { s = esc(s); if (s ~ /^[.']/) s = "\\&" s; return s }
function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
function flush() {
    if (label == "") return
    # The generic flags are documented once, at the top.
    if (mode == "root" || (label != "--version" && label != "-h, --help")) {
        # A list's heading is printed with its first entry, so all-generic lists vanish.
        if (heading != "") { print heading; heading = "" }
        print ".TP"
        print "\\fB" esc(label) "\\fR"
        print line(desc)
    }
    label = ""; desc = ""
}
BEGIN { part = "abstract"; abstract = "" }
part == "abstract" && /^OVERVIEW: / { abstract = substr($0, 11); next }
part == "abstract" && /^$/ {
    if (mode == "root") {
        print ".SH NAME"
        print "postsync \\- " line(abstract)
    } else {
        print ".SS \"" cmd "\""
        print line(abstract)
    }
    part = "discussion"; started = 0; next
}
part == "abstract" { abstract = abstract " " $0; next }
/^USAGE: / {
    flush()
    if (mode == "root") {
        print ".SH SYNOPSIS"
        print ".B postsync"
        print line(substr($0, 8 + length("postsync ")))
        # The discussion comes after the synopsis in a man page; it was held back.
        if (held != "") { print ".SH DESCRIPTION"; printf "%s", held }
    } else {
        if (held != "") printf "%s", held
        print ".PP"
        print "\\fBUsage:\\fR " line(substr($0, 8))
    }
    part = "usage"; next
}
# A blank line starts a new paragraph, but only when more text follows.
part == "discussion" && /^$/ { paragraph = 1; next }
part == "discussion" {
    if (held == "" || paragraph) held = held ".PP\n"
    paragraph = 0
    held = held line($0) "\n"
    next
}
/^[A-Z][A-Z ]*:$/ {
    flush()
    title = substr($0, 1, length($0) - 1)
    if (mode == "root") {
        heading = ".SH " (title == "SUBCOMMANDS" ? "COMMAND SUMMARY" : title)
    } else {
        heading = ".PP\n\\fI" substr(title, 1, 1) tolower(substr(title, 2)) ":\\fR"
    }
    part = "list"; next
}
part == "list" && /^  See '/ { next }
part == "list" && /^   / { desc = trim(desc " " trim($0)); next }
part == "list" && /^  [^ ]/ {
    flush()
    rest = substr($0, 3)
    gap = index(rest, "  ")
    if (gap > 0) { label = substr(rest, 1, gap - 1); desc = trim(substr(rest, gap)) }
    else { label = trim(rest); desc = "" }
    next
}
part == "list" && /^$/ { flush(); next }
END { flush() }
AWK

# The names listed under SUBCOMMANDS: in one help text ("list (default)" gives "list").
subcommands() {
    awk '/^SUBCOMMANDS:$/ { on = 1; next } /^[A-Z][A-Z ]*:$/ { on = 0 }
         on && /^  [^ ]/ && !/^  See / { print $1 }'
}

# One subsection per command, depth first, in the order the parser lists them.
walk() {
    local help sub
    help=$("$bin" "$@" --help)
    printf '%s\n' "$help" | awk -v mode=sub -v cmd="postsync $*" "$convert"
    for sub in $(printf '%s\n' "$help" | subcommands); do
        walk "$@" "$sub"
    done
}

version=$("$bin" --version)
date=$(date -u -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}" +%Y-%m-%d)
root=$("$bin" --help)

printf '.TH POSTSYNC 1 "%s" "postsync %s" "User Commands"\n' "$date" "$version"
printf '%s\n' "$root" | awk -v mode=root -v cmd=postsync "$convert"
echo ".SH COMMANDS"
for sub in $(printf '%s\n' "$root" | subcommands); do
    walk "$sub"
done
cat <<'ROFF'
.SH FILES
.TP
\fB/etc/postsync/postsync.yaml\fR
The configuration (YAML); every key has a default. Unknown keys are an error.
.TP
\fB/etc/postsync/credentials/\fR
Secrets, passed to the service as systemd credentials and read through the \fI*_file\fR keys.
.TP
\fB/var/lib/postsync/\fR
The state directory under systemd: \fIpostsync.sqlite\fR and the SyncLog \fIsynclog.jsonl*\fR.
.TP
\fB/run/postsync/control.sock\fR
The control socket the client commands use; members of the group \fIpostsync\fR may connect.
.SH ENVIRONMENT
.TP
\fBPOSTSYNC_CONFIG\fR, \fBPOSTSYNC_STATE_DIR\fR, \fBPOSTSYNC_SOCKET\fR
Defaults for \fB\-\-config\fR, \fB\-\-state\-dir\fR and \fB\-\-socket\fR.
.TP
\fBSTATE_DIRECTORY\fR, \fBCREDENTIALS_DIRECTORY\fR, \fBNOTIFY_SOCKET\fR, \fBWATCHDOG_USEC\fR, \fBJOURNAL_STREAM\fR
Set by systemd; \fBpostsync serve\fR uses its state directory, reports readiness, status and
watchdog pings, and logs with journald priorities.
.SH EXIT STATUS
0 ok, 1 operation failed, 2 usage or configuration error, 3 daemon not reachable.
.SH SEE ALSO
\fBsystemctl\fR(1), \fBjournalctl\fR(1), \fBsystemd.exec\fR(5), \fBsystemd.service\fR(5)
ROFF
