import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The last resort behind `ProcessScope`: a small watchdog process, started once per test
/// process, that SIGKILLs the children still registered with it and removes the registered
/// directories once the test process is gone, however it ended.
///
/// Why a watchdog process: a scope ends its children in `defer`, which never runs when the test
/// process itself dies (a crash, `fatalError`, SIGKILL from a CI timeout or the OOM killer,
/// `swift test` interrupted; Foundation starts every child in a process group of its own, so a
/// Ctrl-C at the terminal does not reach the children either). The usual alternatives are not
/// robust here: `prctl(PR_SET_PDEATHSIG)` cannot be set through Foundation's `Process`, and set
/// through a wrapper (`setpriv --pdeathsig`) it fires when the *thread* that spawned the child
/// exits, and the concurrency pool retires idle threads, so children would die at random; an
/// `atexit` handler misses crashes and SIGKILL. What holds in every case is that the kernel
/// closes the descriptors of a process that ends. So the watchdog (`bash`, reading its stdin)
/// learns the registry over a socket whose other end only this process holds (close-on-exec, so
/// no child inherits it), and end of file means the test process is gone.
///
/// Each child is registered with its start time from `/proc/<pid>/stat`, so that a recycled PID
/// is never killed, and its whole process group is killed, so that a script's own children go
/// too. The watchdog ignores SIGINT, SIGTERM and SIGHUP: only end of file ends it. What it had
/// to clean up is a test's leak: with `POSTSYNC_TEST_LEAKS` set to a file, it appends a line for
/// each (CI fails on them).
final class ChildReaper: Sendable {
    /// The watchdog of this test process; nil when it could not be started (no bash), in which
    /// case the scopes' own cleanup is all there is.
    static let shared: ChildReaper? = ChildReaper()

    /// Our end of the socket; writes go through the lock so that lines never interleave.
    private let socket: Mutex<Int32>
    /// Kept so that Foundation keeps monitoring (and reaps) the watchdog.
    private let watchdog: Process

    private static let script = #"""
        trap '' INT TERM HUP PIPE
        declare -A pids=() dirs=()
        while IFS= read -r line; do
            case $line in
                '+p '*) set -- ${line#'+p '}; pids[$1]=$2 ;;
                '-p '*) unset "pids[${line#'-p '}]" ;;
                '+d '*) dirs[${line#'+d '}]=1 ;;
                '-d '*) unset "dirs[${line#'-d '}]" ;;
            esac
        done
        report() { [ -z "${POSTSYNC_TEST_LEAKS:-}" ] || printf '%s\n' "$*" >>"$POSTSYNC_TEST_LEAKS"; }
        killed=0
        for pid in "${!pids[@]}"; do
            [ -r "/proc/$pid/stat" ] || continue
            stat=$(< "/proc/$pid/stat")
            set -- ${stat##*) }
            [ "${20}" = "${pids[$pid]}" ] || continue
            report "process left running: $pid $(tr '\0' ' ' < "/proc/$pid/cmdline")"
            kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
            killed=1
        done
        [ "$killed" = 0 ] || sleep 0.2
        for dir in "${!dirs[@]}"; do
            [ -e "$dir" ] || continue
            report "directory left behind: $dir"
            rm -rf -- "$dir"
        done
        """#

    private init?() {
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            return nil
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", Self.script]
        process.standardInput = FileHandle(fileDescriptor: pair[1], closeOnDealloc: false)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            close(pair[0])
            close(pair[1])
            return nil
        }
        // Only the watchdog holds this end now (as its stdin).
        close(pair[1])
        socket = Mutex(pair[0])
        watchdog = process
    }

    /// Kill `pid` when the test process dies before `release(pid)`.
    func adopt(_ pid: Int32) {
        guard let started = Self.startTime(of: pid) else { return }
        send("+p \(pid) \(started)")
    }

    /// `pid` has exited (and been reaped).
    func release(_ pid: Int32) { send("-p \(pid)") }

    /// Remove `directory` when the test process dies before `release(directory:)`.
    func adopt(directory: String) { send("+d \(directory)") }

    /// `directory` has been removed.
    func release(directory: String) { send("-d \(directory)") }

    /// Field 22 of `/proc/<pid>/stat` (clock ticks after boot): with the PID, it names one process.
    static func startTime(of pid: Int32) -> String? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let end = stat.range(of: ")", options: .backwards)
        else { return nil }
        // After "pid (comm) " the fields start at field 3, so field 22 is the 20th.
        let fields = stat[end.upperBound...].split(separator: " ")
        return fields.count >= 20 ? String(fields[19]) : nil
    }

    private func send(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        socket.withLock { fd in
            var offset = 0
            while offset < bytes.count {
                // MSG_NOSIGNAL: should the watchdog be gone, a write fails instead of raising SIGPIPE.
                let written = bytes[offset...].withUnsafeBytes {
                    Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
                }
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return }
                offset += written
            }
        }
    }
}
