import Foundation
import PostSync

/// Which SyncLog entries `postsync logs` shows; the same test whether entries come from the
/// daemon (which filters too, except `since`) or straight from the files.
struct LogFilter: Sendable {
    /// Canonical account id.
    var account: String?
    /// Platform.
    var platform: Platform?
    /// Run status.
    var status: SyncStatus?
    /// Earliest `createdAt`.
    var since: Date?

    /// Whether `entry` is shown.
    func matches(_ entry: SyncLogEntry) -> Bool {
        if let account, entry.accountId != account { return false }
        if let platform, entry.platform != platform { return false }
        if let status, entry.status != status { return false }
        if let since, entry.createdAt < since { return false }
        return true
    }
}
