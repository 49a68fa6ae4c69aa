import Foundation

/// Which SyncLog entries a reader wants. `GET /v1/logs` applies it to the history and to the
/// followed stream; `postsync logs` applies it again to what the daemon sends (the daemon has no
/// `since`) and to entries it reads straight from the files when the daemon is down.
public struct SyncLogFilter: Sendable, Equatable {
    /// Only this account's entries (canonical id, `instagram:1`).
    public var account: String?
    /// Only this platform's entries.
    public var platform: Platform?
    /// Only runs that ended so.
    public var status: SyncStatus?
    /// Only entries written after this one (`seq` greater than it).
    public var afterSeq: Int64?
    /// Only entries created at or after this time.
    public var since: Date?

    /// Creates a filter; every criterion left nil lets every entry through.
    /// - Parameters:
    ///   - account: Canonical account id.
    ///   - platform: Platform.
    ///   - status: Run status.
    ///   - afterSeq: Last `seq` not wanted.
    ///   - since: Earliest `createdAt`.
    public init(
        account: String? = nil, platform: Platform? = nil, status: SyncStatus? = nil, afterSeq: Int64? = nil,
        since: Date? = nil
    ) {
        self.account = account
        self.platform = platform
        self.status = status
        self.afterSeq = afterSeq
        self.since = since
    }

    /// Whether `entry` passes every criterion.
    public func matches(_ entry: SyncLogEntry) -> Bool {
        if let account, entry.accountId != account { return false }
        if let platform, entry.platform != platform { return false }
        if let status, entry.status != status { return false }
        if let afterSeq, entry.seq <= afterSeq { return false }
        if let since, entry.createdAt < since { return false }
        return true
    }
}
