import Foundation

/// The coordination statements of several daemons on one database (CONTRACT section 10), kept
/// by the PostgreSQL store. Lease times are the database's (`now()`), so the daemons' clocks
/// never have to agree.
public protocol ClusterStore: Sendable {
    /// Records this node's heartbeat (its row is made on the first), drops the rows of nodes
    /// silent for a long time, and reads the live nodes.
    /// - Parameters:
    ///   - lease: A node is live while its heartbeat is younger than this.
    ///   - startedAt: This node's start, written with its first heartbeat.
    func heartbeat(_ node: String, version: String, startedAt: Date, lease: Duration) async throws -> ClusterSnapshot
    /// Claims up to `limit` accounts no live lease covers (`FOR UPDATE SKIP LOCKED`), the ones due
    /// first, each with its epoch one higher.
    /// - Parameter excluding: Accounts this node still runs a worker for (winding down).
    /// - Returns: The claimed rows, tokens as stored.
    /// - Parameter takeExpired: Whether expired leases of other daemons may be taken (not right
    ///   after this daemon could not reach the database: their owners renew first).
    func claim(_ node: String, lease: Duration, limit: Int, excluding: [AccountID], takeExpired: Bool) async throws
        -> [AccountRecord]
    /// Extends every lease this node holds by `lease` from now.
    /// - Returns: The accounts renewed, with their epochs.
    func renew(_ node: String, lease: Duration) async throws -> [AccountID: Int64]
    /// Extends one lease so that at least `atLeast` of it remains (before a token refresh).
    /// - Returns: false when the fence no longer holds the lease.
    func extendLease(_ id: AccountID, fence: LeaseFence, atLeast: Duration) async throws -> Bool
    /// Gives up these leases (the accounts keep `next_sync_at`, so the next holder syncs them
    /// when they were due).
    func release(_ node: String, _ ids: [AccountID]) async throws
    /// Gives up every lease of this node and removes its row (SIGTERM).
    func leave(_ node: String) async throws
    /// The live nodes, for `status`.
    func liveNodes(lease: Duration) async throws -> [NodeView]
    /// Queues a command for the holder of its account, or for its node, and wakes the daemons.
    func send(_ command: ClusterCommand) async throws
    /// Takes (removes and returns) the commands for this node and for the accounts it holds;
    /// drops commands older than `maxAge` that nobody took.
    func takeCommands(for node: String, maxAge: Duration) async throws -> [ClusterCommand]
    /// Stores the answer to a command and wakes the daemons.
    func reply(_ id: String, body: Data) async throws
    /// Takes the answer to a command, if it came.
    func takeReply(_ id: String) async throws -> Data?
    /// Wakes every daemon's coordinator to balance now (an account was added).
    func announce() async throws
    /// Calls `onMessage` for every notification on the schema's channel until cancelled or the
    /// connection drops (then it throws; the caller reconnects).
    func listen(_ onMessage: @escaping @Sendable (String) -> Void) async throws
}
