import Foundation

/// The daemon's control socket could not be reached: no socket file, nobody listening, no
/// permission. Exit code 3 (CONTRACT section 3).
struct DaemonUnreachable: Error, CustomStringConvertible {
    /// The socket that was tried.
    var socketPath: String
    /// Why the connection failed, e.g. `Connection refused`.
    var reason: String

    /// The first line: what failed and why.
    var summary: String {
        "cannot reach the postsync daemon at \(socketPath): \(reason)"
    }

    /// The summary and what to do about it.
    var description: String {
        if reason.localizedCaseInsensitiveContains("permission denied") {
            return summary + "\nThe socket's mode is control.mode in the daemon's config (default 0660): "
                + "run as the daemon's user or a member of its group."
        }
        return summary + "\nIs it running? Start it with `postsync serve` (or `systemctl start postsync`), "
            + "or point --socket or $POSTSYNC_SOCKET at its socket."
    }
}
