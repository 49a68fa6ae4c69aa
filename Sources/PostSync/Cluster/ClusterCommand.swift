import Foundation

/// A command one daemon sends to another through the database (CONTRACT section 10: any daemon
/// acts on any account). It carries no token: a new token is stored first, and the command only
/// tells the holder to read it.
public struct ClusterCommand: Sendable, Codable, Equatable {
    /// What to do.
    public enum Action: Sendable, Codable, Equatable {
        /// Sync the account (`wait`: answer with the SyncLog entry).
        case sync(SyncTrigger, wait: Bool)
        /// Sync every active account this node holds (`wait`: answer with its summary; else with
        /// how many were queued).
        case syncAll(SyncTrigger, wait: Bool)
        /// Turn the account's schedule on or off.
        case setAutoSync(Bool)
        /// The account's tokens were replaced in the database: read them and clear needs_reauth.
        case tokensReplaced
        /// The platform removed the authorization.
        case authorizationRemoved(String)
        /// Stop the account's worker and give up its lease (it is being removed).
        case stop
    }

    /// Unique; the answer, if one is wanted, is stored under it.
    public var id: String
    /// The account, for a command to its holder.
    public var account: AccountID?
    /// The node, for a command to one daemon.
    public var node: String?
    /// What to do.
    public var action: Action
    /// Whether the sender waits for an answer.
    public var wantsReply: Bool
    /// When it was first sent (a command put back for the next holder keeps it, so that it still
    /// expires).
    public var sentAt: Date?

    /// Creates a command with a new id.
    public init(account: AccountID? = nil, node: String? = nil, action: Action, wantsReply: Bool) {
        id = UUID().uuidString.lowercased()
        self.account = account
        self.node = node
        self.action = action
        self.wantsReply = wantsReply
        // At the milliseconds the JSON keeps, so that a command read back equals the one sent.
        let now = Date()
        sentAt = Timestamp.parse(Timestamp.format(now)) ?? now
    }
}

/// The answer to a `ClusterCommand`.
public struct ClusterReply: Sendable, Codable, Equatable {
    /// The entry of a `sync` with `wait` (nil: no run happened).
    public var entry: SyncLogEntry?
    /// The summary of a `syncAll` with `wait`.
    public var summary: SyncAllSummary?
    /// How many runs a `syncAll` without `wait` queued.
    public var queued: Int?
    /// Why the command failed, if it did.
    public var error: String?

    /// Creates an answer.
    public init(entry: SyncLogEntry? = nil, summary: SyncAllSummary? = nil, queued: Int? = nil, error: String? = nil) {
        self.entry = entry
        self.summary = summary
        self.queued = queued
        self.error = error
    }
}
