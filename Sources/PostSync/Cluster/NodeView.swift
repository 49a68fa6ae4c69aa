import Foundation

/// One daemon of the cluster as `GET /v1/status` shows it (CONTRACT section 10 `nodes`).
public struct NodeView: Sendable, Codable, Equatable {
    /// The node id.
    public var id: String
    /// When it started.
    public var startedAt: Date
    /// Its last heartbeat.
    public var heartbeatAt: Date
    /// How many accounts it holds a live lease on.
    public var accounts: Int

    /// Creates a view.
    public init(id: String, startedAt: Date, heartbeatAt: Date, accounts: Int) {
        self.id = id
        self.startedAt = startedAt
        self.heartbeatAt = heartbeatAt
        self.accounts = accounts
    }
}

/// What one heartbeat learned about the cluster, on the database's clock.
public struct ClusterSnapshot: Sendable, Equatable {
    /// The live nodes (a heartbeat within one lease), ordered by id; this one included.
    public var nodes: [NodeView]
    /// How many accounts there are.
    public var totalAccounts: Int
    /// The database's time when it was read.
    public var now: Date

    /// Creates a snapshot.
    public init(nodes: [NodeView], totalAccounts: Int, now: Date) {
        self.nodes = nodes
        self.totalAccounts = totalAccounts
        self.now = now
    }
}
