import Foundation

/// What started a sync run (CONTRACT section 6).
public enum SyncTrigger: String, Sendable, Codable, Hashable, CaseIterable {
    /// The account's own schedule.
    case schedule
    /// A platform webhook hinted that the account changed.
    case webhook
    /// An operator asked (CLI or control API).
    case manual
    /// The bearer-protected cron endpoint.
    case cron
}

/// The outcome of a sync run (CONTRACT section 6).
public enum SyncStatus: String, Sendable, Codable, Hashable, CaseIterable {
    /// Everything asked for was read and stored.
    case success
    /// Some posts or metrics the daemon asked for could not be read.
    case partial
    /// The run failed; nothing or only part was stored.
    case error
}

/// One line of the SyncLog: exactly the fields of CONTRACT section 6, in that order.
public struct SyncLogEntry: Sendable, Codable, Hashable {
    /// Strictly increasing across restarts and rotations.
    public var seq: Int64
    /// Unique id of the entry.
    public var id: String
    /// `instagram:<id>` or `tiktok:<open_id>`.
    public var accountId: String
    /// The account's platform.
    public var platform: Platform
    /// What started the run.
    public var trigger: SyncTrigger
    /// Posts the platform returned in this run.
    public var postsFound: Int
    /// Rows inserted or changed.
    public var postsSynced: Int
    /// success, partial or error.
    public var status: SyncStatus
    /// Human-readable; never contains a token.
    public var errorMessage: String?
    /// Milliseconds.
    public var duration: Int64
    /// When the entry was written.
    public var createdAt: Date
    /// When the run started.
    public var startedAt: Date
    /// HTTP calls made to the platform in this run.
    public var apiCalls: Int
    /// Whether the run began with a token refresh.
    public var tokenRefreshed: Bool
    /// 1 for a first try, n for the n-th consecutive try after failures.
    public var attempt: Int

    /// Creates an entry; `seq` and `id` are usually assigned by the SyncLog writer.
    public init(
        seq: Int64 = 0, id: String = "", accountId: String, platform: Platform, trigger: SyncTrigger,
        postsFound: Int, postsSynced: Int, status: SyncStatus, errorMessage: String?, duration: Int64,
        createdAt: Date, startedAt: Date, apiCalls: Int, tokenRefreshed: Bool, attempt: Int
    ) {
        self.seq = seq
        self.id = id
        self.accountId = accountId
        self.platform = platform
        self.trigger = trigger
        self.postsFound = postsFound
        self.postsSynced = postsSynced
        self.status = status
        self.errorMessage = errorMessage
        self.duration = duration
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.apiCalls = apiCalls
        self.tokenRefreshed = tokenRefreshed
        self.attempt = attempt
    }

    // Explicit so that `errorMessage: null` is written rather than omitted.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(seq, forKey: .seq)
        try c.encode(id, forKey: .id)
        try c.encode(accountId, forKey: .accountId)
        try c.encode(platform, forKey: .platform)
        try c.encode(trigger, forKey: .trigger)
        try c.encode(postsFound, forKey: .postsFound)
        try c.encode(postsSynced, forKey: .postsSynced)
        try c.encode(status, forKey: .status)
        try c.encode(errorMessage, forKey: .errorMessage)
        try c.encode(duration, forKey: .duration)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(startedAt, forKey: .startedAt)
        try c.encode(apiCalls, forKey: .apiCalls)
        try c.encode(tokenRefreshed, forKey: .tokenRefreshed)
        try c.encode(attempt, forKey: .attempt)
    }
}
