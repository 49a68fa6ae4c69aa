import Foundation

/// The answer of `GET /v1/status` (CONTRACT section 4): `{"version","startedAt","accounts"}`.
public struct DaemonStatus: Sendable, Codable, Equatable {
    /// The daemon's version.
    public var version: String
    /// When the daemon started.
    public var startedAt: Date
    /// `available`, or `unavailable` while the database cannot be reached (CONTRACT section 9;
    /// the accounts are then those in memory, with the last post counts read).
    public var database: String
    /// The live daemons sharing the database (CONTRACT section 10; with SQLite, this one).
    public var nodes: [NodeView]
    /// Every account, as `GET /v1/accounts` shows them.
    public var accounts: [AccountView]

    /// Creates a status.
    public init(
        version: String, startedAt: Date, database: String = "available", nodes: [NodeView] = [], accounts: [AccountView]
    ) {
        self.version = version
        self.startedAt = startedAt
        self.database = database
        self.nodes = nodes
        self.accounts = accounts
    }

    enum CodingKeys: String, CodingKey { case version, startedAt, database, nodes, accounts }

    /// Decodes a status; `database` is optional so that a CLI reads an older daemon's answer.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        version = try c.decode(String.self, forKey: .version)
        startedAt = try c.decode(Date.self, forKey: .startedAt)
        database = try c.decodeIfPresent(String.self, forKey: .database) ?? "available"
        nodes = try c.decodeIfPresent([NodeView].self, forKey: .nodes) ?? []
        accounts = try c.decode([AccountView].self, forKey: .accounts)
    }
}
