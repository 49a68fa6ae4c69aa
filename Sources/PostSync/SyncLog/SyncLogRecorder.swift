import Foundation

/// The one path to the SyncLog: every finished run, quarantine and revoked authorization is
/// written here, and here only, so the file's order is the order of `seq`. It also remembers each
/// account's last status for `status` (CONTRACT section 4 `lastStatus`) and tells observers
/// (metrics) about every entry.
public actor SyncLogRecorder: SyncRecorder {
    /// The writer this recorder is the only user of.
    public nonisolated let writer: SyncLogWriter
    private var lastStatuses: [String: SyncStatus] = [:]
    private let onRecord: (@Sendable (SyncLogEntry) -> Void)?

    /// Creates the recorder.
    /// - Parameters:
    ///   - writer: The SyncLog writer.
    ///   - onRecord: Called after every write (metrics).
    public init(writer: SyncLogWriter, onRecord: (@Sendable (SyncLogEntry) -> Void)? = nil) {
        self.writer = writer
        self.onRecord = onRecord
    }

    /// Writes an entry (assigning `seq` and `id`) and returns it as written.
    public func record(_ entry: SyncLogEntry) async throws -> SyncLogEntry {
        let written = try await writer.append(entry)
        lastStatuses[written.accountId] = written.status
        onRecord?(written)
        return written
    }

    /// The status of the account's last entry, if one was written or restored.
    public func lastStatus(of id: AccountID) -> SyncStatus? {
        lastStatuses[id.description]
    }

    /// Fills in the last status of accounts that have none from their rows. Reading back a
    /// 64 MiB SyncLog at start-up is not worth it: the row knows whether the last run failed; a
    /// partial run shows as success until the next run.
    public func restoreStatuses(from records: [AccountRecord]) {
        for record in records where lastStatuses[record.id.description] == nil {
            if record.consecutiveFailures > 0 {
                lastStatuses[record.id.description] = .error
            } else if record.lastSyncAt != nil {
                lastStatuses[record.id.description] = .success
            }
        }
    }

    /// Flushes and closes the SyncLog.
    public func close() async {
        await writer.close()
    }
}
