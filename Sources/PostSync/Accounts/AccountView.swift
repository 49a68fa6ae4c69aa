import Foundation

/// An account as the control API shows it (CONTRACT section 4 `Account`). Holds no token.
public struct AccountView: Sendable, Codable, Equatable {
    /// `platform:external-id`.
    public var id: String
    /// Platform.
    public var platform: Platform
    /// The platform's id.
    public var externalId: String
    /// Display name.
    public var username: String?
    /// `instagram` or `facebook` for Instagram, null for TikTok.
    public var login: InstagramLogin?
    /// Whether the schedule runs.
    public var autoSync: Bool
    /// idle, syncing, backoff, paused, needs_reauth, quarantined.
    public var state: AccountState
    /// Last successful (or partial) sync.
    public var lastSyncAt: Date?
    /// The last SyncLog status.
    public var lastStatus: SyncStatus?
    /// Next scheduled sync.
    public var nextSyncAt: Date?
    /// Access token expiry.
    public var tokenExpiresAt: Date?
    /// Refresh token expiry (TikTok).
    public var refreshExpiresAt: Date?
    /// Stored posts.
    public var posts: Int
    /// Failed runs in a row.
    public var consecutiveFailures: Int
    /// Last failure.
    public var lastError: String?
    /// Seconds the schedule currently plans between this account's syncs (CONTRACT section 12).
    public var syncInterval: Int?
    /// The account's learned posting rate, posts per day, rounded to 0.01.
    public var postsPerDay: Double
    /// The node id of the daemon holding the account (CONTRACT section 10), or nil.
    public var node: String?

    /// Builds the view from a record plus live values.
    public init(record: AccountRecord, state: AccountState? = nil, lastStatus: SyncStatus? = nil, posts: Int = 0) {
        id = record.id.description
        platform = record.id.platform
        externalId = record.id.externalID
        username = record.username
        login = record.login
        autoSync = record.autoSync
        self.state = state ?? record.state
        lastSyncAt = record.lastSyncAt
        self.lastStatus = lastStatus
        nextSyncAt = record.nextSyncAt
        tokenExpiresAt = record.tokenExpiresAt
        refreshExpiresAt = record.refreshExpiresAt
        self.posts = posts
        consecutiveFailures = record.consecutiveFailures
        lastError = record.lastError
        postsPerDay = (record.rhythm ?? PostingRhythm()).postsPerDay
    }

    // Explicit so that nulls are written: every key is always present for scripts.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(platform, forKey: .platform)
        try c.encode(externalId, forKey: .externalId)
        try c.encode(username, forKey: .username)
        try c.encode(login, forKey: .login)
        try c.encode(autoSync, forKey: .autoSync)
        try c.encode(state, forKey: .state)
        try c.encode(lastSyncAt, forKey: .lastSyncAt)
        try c.encode(lastStatus, forKey: .lastStatus)
        try c.encode(nextSyncAt, forKey: .nextSyncAt)
        try c.encode(tokenExpiresAt, forKey: .tokenExpiresAt)
        try c.encode(refreshExpiresAt, forKey: .refreshExpiresAt)
        try c.encode(posts, forKey: .posts)
        try c.encode(consecutiveFailures, forKey: .consecutiveFailures)
        try c.encode(lastError, forKey: .lastError)
        try c.encode(syncInterval, forKey: .syncInterval)
        try c.encode(postsPerDay, forKey: .postsPerDay)
        try c.encode(node, forKey: .node)
    }
}
