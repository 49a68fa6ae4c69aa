import Foundation

/// What a sync run hands a platform client.
public struct FetchRequest: Sendable {
    /// The account.
    public var account: AccountID
    /// Instagram only: which Graph host and fields apply.
    public var login: InstagramLogin?
    /// The access token to use. Secret.
    public var accessToken: String
    /// Posts older than this end the paging; nil on a first sync, which backfills everything.
    public var lookbackStart: Date?
    /// Stored post ids inside the lookback window, newest first (TikTok refreshes the ones the
    /// list did not return with `/v2/video/query/`).
    public var knownRecentPostIDs: [String]
    /// Instagram insights: when each post last got them (the actor keeps this in memory).
    public var insightsFetchedAt: PostTimes
    /// The time the run started.
    public var now: Date

    /// Creates a request.
    public init(
        account: AccountID, login: InstagramLogin?, accessToken: String, lookbackStart: Date?,
        knownRecentPostIDs: [String] = [], insightsFetchedAt: PostTimes = [:], now: Date
    ) {
        self.account = account
        self.login = login
        self.accessToken = accessToken
        self.lookbackStart = lookbackStart
        self.knownRecentPostIDs = knownRecentPostIDs
        self.insightsFetchedAt = insightsFetchedAt
        self.now = now
    }
}

/// What a fetch read.
public struct FetchResult: Sendable {
    /// Every post the platform returned, newest first.
    public var posts: [FetchedPost]
    /// Data asked for and not obtained (deprecated metric, empty insights): makes the run `partial`.
    public var problems: [String]
    /// Posts whose insights were read in this run.
    public var insightsRead: [String]

    /// Creates a result.
    public init(posts: [FetchedPost], problems: [String] = [], insightsRead: [String] = []) {
        self.posts = posts
        self.problems = problems
        self.insightsRead = insightsRead
    }
}

/// A refreshed token pair.
public struct RefreshedToken: Sendable, Equatable {
    /// New access token. Secret.
    public var accessToken: String
    /// New refresh token (TikTok rotates it), or nil when the platform gave none.
    public var refreshToken: String?
    /// New expiry of the access token.
    public var expiresAt: Date?
    /// New expiry of the refresh token.
    public var refreshExpiresAt: Date?

    /// Creates a refreshed token.
    public init(accessToken: String, refreshToken: String?, expiresAt: Date?, refreshExpiresAt: Date?) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.expiresAt = expiresAt
        self.refreshExpiresAt = refreshExpiresAt
    }
}

/// Counts the HTTP calls of one sync run, including the ones of a run that fails half-way.
public final class CallCounter: Sendable {
    private let count = Locked(0)
    /// Creates a counter at zero.
    public init() {}
    /// Adds one call.
    public func increment() { count.withLock { $0 += 1 } }
    /// Calls so far.
    public var value: Int { count.withLock { $0 } }
}

/// One platform's API, only the calls `postsync` uses. Errors are `PlatformError`; anything
/// else thrown is a bug and crashes the account's worker (the supervisor restarts it).
public protocol PlatformClient: Sendable {
    /// Reads the account's posts (and metrics) for one sync run.
    func fetch(_ request: FetchRequest, calls: CallCounter) async throws -> FetchResult
    /// Exchanges the account's current credentials for fresh ones.
    /// - Parameters:
    ///   - accessToken: The current access token (Instagram refreshes with it).
    ///   - refreshToken: The current refresh token (TikTok).
    func refresh(
        account: AccountID, accessToken: String, refreshToken: String?, now: Date, calls: CallCounter
    ) async throws -> RefreshedToken
}
