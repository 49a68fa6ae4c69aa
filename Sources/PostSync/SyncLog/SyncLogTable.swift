import Foundation

/// The database copy of the SyncLog (CONTRACT section 9 `sync_log`), kept by the PostgreSQL
/// store. With it, `seq` is the table's: strictly increasing across every daemon sharing the
/// database, and the JSON-lines file carries the same number for the same entry.
public protocol SyncLogTable: Sendable {
    /// Inserts an entry (its `id` set by the caller) with the next `seq` of the table.
    /// - Parameters:
    ///   - node: The writing daemon's node id.
    ///   - fence: When set, the insert is refused unless the fence still holds the account's lease.
    /// - Returns: The `seq` assigned.
    /// - Throws: `StoreError.leaseLost` when refused.
    func insertEntry(_ entry: SyncLogEntry, node: String, fence: LeaseFence?) async throws -> Int64
    /// Entries that pass `filter` with `seq <= upTo`, oldest first; with `limit`, only the last
    /// `limit` of them.
    func entries(matching filter: SyncLogFilter, upTo: Int64, limit: Int?) async throws -> [SyncLogEntry]
    /// Every entry with `seq > after`, oldest first, at most `limit` (followers poll this).
    func entries(after seq: Int64, limit: Int) async throws -> [SyncLogEntry]
    /// The greatest `seq` written so far (0 for an empty table).
    func lastSeq() async throws -> Int64
    /// Entries the given nodes wrote with `seq > after`, oldest first (a restart appends those a
    /// crash kept out of the JSON-lines file).
    func entries(writtenBy nodes: [String], after seq: Int64) async throws -> [SyncLogEntry]
    /// Makes the next `seq` greater than `seq` (a JSON-lines file that predates the table must
    /// never see its numbers go back).
    func advanceSequence(past seq: Int64) async throws
}
