import Foundation

/// The answer of `GET /v1/status` (CONTRACT section 4): `{"version","startedAt","accounts"}`.
public struct DaemonStatus: Sendable, Codable, Equatable {
    /// The daemon's version.
    public var version: String
    /// When the daemon started.
    public var startedAt: Date
    /// Every account, as `GET /v1/accounts` shows them.
    public var accounts: [AccountView]

    /// Creates a status.
    public init(version: String, startedAt: Date, accounts: [AccountView]) {
        self.version = version
        self.startedAt = startedAt
        self.accounts = accounts
    }
}
