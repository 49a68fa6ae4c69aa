import Foundation
import Logging

/// The one path to the SyncLog: every finished run, quarantine and revoked authorization is
/// written here, and here only, so the file's order is the order of `seq`. It also remembers each
/// account's last status for `status` (CONTRACT section 4 `lastStatus`) and tells observers
/// (metrics) about every entry.
///
/// With PostgreSQL (CONTRACT section 9) every entry is first inserted into `sync_log`, which
/// assigns its `seq`, and then appended to the JSON-lines file with that `seq`. Entries are
/// written one at a time, so the file's `seq` still increases strictly. During a database outage
/// `record` waits for the database rather than write a line whose `seq` the table has not given;
/// a crash between the insert and the append is repaired at the next start (`reconcile`).
public actor SyncLogRecorder: SyncRecorder {
    /// The writer this recorder is the only user of.
    public nonisolated let writer: SyncLogWriter
    /// This daemon's node id, written with every `sync_log` row.
    public nonisolated let node: String
    private let table: (any SyncLogTable)?
    private let health: DatabaseHealth
    private let serial = AsyncSemaphore(permits: 1)
    private var lastStatuses: [String: SyncStatus] = [:]
    private let onRecord: (@Sendable (SyncLogEntry) -> Void)?
    private let logger: Logger?

    /// Creates the recorder.
    /// - Parameters:
    ///   - writer: The SyncLog writer.
    ///   - table: The database copy, when the store keeps one.
    ///   - health: The store's reachability (waited on during an outage).
    ///   - node: This daemon's node id.
    ///   - logger: For entries lost to a shutdown during an outage.
    ///   - onRecord: Called after every write (metrics).
    public init(
        writer: SyncLogWriter, table: (any SyncLogTable)? = nil, health: DatabaseHealth = .alwaysAvailable,
        node: String = "local", logger: Logger? = nil, onRecord: (@Sendable (SyncLogEntry) -> Void)? = nil
    ) {
        self.writer = writer
        self.table = table
        self.health = health
        self.node = node
        self.logger = logger
        self.onRecord = onRecord
    }

    /// Writes an entry (assigning `seq` and `id`) and returns it as written.
    /// - Parameter fence: With PostgreSQL, `sync_log` refuses the entry once another daemon
    ///   holds the account's lease; it is then not appended to the file either.
    /// - Throws: The file's or the table's error; `StoreError.leaseLost`; `CancellationError`
    ///   when the daemon stops while the database is unreachable (the entry is then logged, not
    ///   written).
    public func record(_ entry: SyncLogEntry, fence: LeaseFence?) async throws -> SyncLogEntry {
        let written: SyncLogEntry
        if let table {
            try await serial.acquire()
            defer { serial.release() }
            var entry = entry
            entry.id = UUID().uuidString.lowercased()
            let seq = try await insert(entry, into: table, fence: fence)
            written = try await writer.append(entry, assignedSeq: seq)
        } else {
            written = try await writer.append(entry)
        }
        lastStatuses[written.accountId] = written.status
        onRecord?(written)
        return written
    }

    /// Inserts into `sync_log`, waiting out an outage.
    private func insert(_ entry: SyncLogEntry, into table: any SyncLogTable, fence: LeaseFence?) async throws -> Int64 {
        while true {
            do {
                return try await table.insertEntry(entry, node: node, fence: fence)
            } catch StoreError.unavailable {
                do {
                    try await health.waitUntilAvailable()
                } catch {
                    logger?.error(
                        "SyncLog entry not written: the daemon stopped while the database was unavailable",
                        metadata: [
                            "account.id": "\(entry.accountId)", "sync.status": "\(entry.status)",
                            "sync.error": "\(entry.errorMessage ?? "")",
                        ])
                    throw error
                }
            }
        }
    }

    /// At start with PostgreSQL: appends to the file the rows that earlier daemons of this state
    /// directory inserted but did not append (a crash in between), moves the table's sequence
    /// past the file's last `seq`, and records this daemon's node id.
    /// - Throws: The table's or the file's error.
    public func reconcile() async throws {
        guard let table else { return }
        let nodes = SyncLogNodes(directory: writer.directory)
        let previous = nodes.read()
        if !previous.isEmpty {
            for entry in try await table.entries(writtenBy: previous, after: await writer.lastSeq) {
                try await writer.append(entry, assignedSeq: entry.seq)
            }
        }
        try await table.advanceSequence(past: await writer.lastSeq)
        try nodes.append(node)
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
