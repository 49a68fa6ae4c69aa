import Foundation

/// Where the daemon keeps accounts with their tokens, posts and metric history (CONTRACT
/// section 7). Every method is one short transaction that never waits on a platform; the methods
/// are `async` so that a slow database suspends the caller instead of holding a thread of the
/// cooperative pool that every account actor shares. `SQLiteStore` is the embedded
/// implementation; the engine tests are written against this protocol so that a second one runs
/// the same suite.
public protocol Store: Sendable {
    /// Adds accounts in one transaction.
    /// - Throws: `StoreError.accountExists` for the first id taken; nothing is added then.
    func insertAccounts(_ records: [AccountRecord]) async throws
    /// The account with this id, or nil.
    func account(_ id: AccountID) async throws -> AccountRecord?
    /// Every account, ordered by id.
    func accounts() async throws -> [AccountRecord]
    /// Removes an account and, unless `keepPosts`, its posts and metric history.
    /// - Throws: `StoreError.unknownAccount`.
    func deleteAccount(_ id: AccountID, keepPosts: Bool) async throws
    /// Stores new tokens (see `TokenUpdate` for what a nil field means).
    /// - Throws: `StoreError.unknownAccount`.
    func saveTokens(_ id: AccountID, _ tokens: TokenUpdate) async throws
    /// Persists the schedule part of an account.
    func saveSchedule(_ id: AccountID, _ schedule: AccountSchedule) async throws
    /// Persists the schedule part of an account, refused once `fence` no longer holds the lease.
    /// - Throws: `StoreError.leaseLost` when refused.
    func saveSchedule(_ id: AccountID, _ schedule: AccountSchedule, fence: LeaseFence?) async throws
    /// Stores a refreshed pair by compare-and-swap on the pair it replaced (`replacing`, as the
    /// account's record holds it): never fenced, because the platform already made the new pair
    /// the only valid one, but it never overwrites a pair an operator or another daemon stored
    /// meanwhile.
    func saveRotatedTokens(_ id: AccountID, _ tokens: TokenUpdate, replacing: TokenPair, fence: LeaseFence?) async throws
        -> RotationSave
    /// Persists autoSync.
    /// - Throws: `StoreError.unknownAccount`.
    func setAutoSync(_ id: AccountID, enabled: Bool) async throws
    /// Upserts the posts one run read, in one transaction, and sets `last_sync_at` (a store may
    /// leave it to `saveSchedule` when nothing changed); a
    /// `post_metrics` row is written when a post is first seen and whenever its metrics change.
    /// - Returns: How many posts were handed in and how many rows were inserted or changed.
    func ingest(_ posts: [FetchedPost], for account: AccountID, now: Date) async throws -> IngestResult
    /// `ingest`, refused (nothing written) once `fence` no longer holds the account's lease.
    /// - Throws: `StoreError.leaseLost` when refused.
    func ingest(_ posts: [FetchedPost], for account: AccountID, now: Date, fence: LeaseFence?) async throws -> IngestResult
    /// `ingest`, keeping `digest` in the account's row (`page_digest`) in the same transaction,
    /// as the fingerprint of the page now stored; nil clears it. The other `ingest` methods
    /// clear it too, since they change the stored page without saying what it is now.
    /// - Throws: `StoreError.leaseLost` when refused.
    func ingest(_ posts: [FetchedPost], for account: AccountID, now: Date, fence: LeaseFence?, digest: PageDigest?)
        async throws -> IngestResult
    /// The account's stored posts published at or after `since`: id → publication time.
    func recentPosts(of account: AccountID, publishedSince since: Date) async throws -> [String: Date]
    /// Number of stored posts per account id.
    func postCounts() async throws -> [String: Int]
    /// Stored posts, newest first, optionally of one account and published since a time.
    func posts(account: AccountID?, since: Date?, limit: Int) async throws -> [PostView]
    /// Metric history rows of one post, oldest first (tests and scripts).
    func metricHistory(platform: Platform, postID: String) async throws -> [PostMetrics]
    /// Rewrites the stored tokens of every account in one transaction (sealing them, or
    /// re-sealing them with a new key): `rewrite` gets each row's stored access and refresh
    /// token and returns the values to store, or nil to leave the row alone. When it throws,
    /// nothing is changed.
    /// - Returns: How many rows were rewritten.
    func rewriteTokens(_ rewrite: @escaping @Sendable (AccountID, String, String?) throws -> TokenPair?) async throws -> Int
    /// The insights metrics found unsupported per kind of media, with when (`insight_support`).
    func unsupportedInsights() async throws -> [InsightMetricKey: Date]
    /// Records that a metric is unsupported for a kind of media since a time, or (nil) that it
    /// is supported again.
    func saveInsightSupport(_ key: InsightMetricKey, unsupportedSince: Date?) async throws
    /// Whether the database can be reached now (always, for a file in the state directory).
    var health: DatabaseHealth { get }
    /// The database copy of the SyncLog, when the store keeps one (PostgreSQL).
    var syncLogTable: (any SyncLogTable)? { get }
    /// Releases connections (the store is unusable afterwards).
    func close() async
}

/// An access token and its refresh token, as stored (sealed or plaintext).
public struct TokenPair: Sendable, Equatable {
    /// The access token.
    public var access: String
    /// The refresh token, if the account has one.
    public var refresh: String?

    /// Creates a pair.
    public init(access: String, refresh: String?) {
        self.access = access
        self.refresh = refresh
    }
}

extension Store {
    /// A store without leases (SQLite: one daemon) has nothing to fence.
    public func saveSchedule(_ id: AccountID, _ schedule: AccountSchedule, fence: LeaseFence?) async throws {
        try await saveSchedule(id, schedule)
    }

    /// A store without leases (SQLite: one daemon) has nothing to fence.
    public func ingest(_ posts: [FetchedPost], for account: AccountID, now: Date, fence: LeaseFence?) async throws
        -> IngestResult
    {
        try await ingest(posts, for: account, now: now)
    }

    /// A store that keeps no page digest: a plain `ingest` (every worker's first page after a
    /// start is then ingested in full).
    public func ingest(
        _ posts: [FetchedPost], for account: AccountID, now: Date, fence: LeaseFence?, digest: PageDigest?
    ) async throws -> IngestResult {
        try await ingest(posts, for: account, now: now, fence: fence)
    }

    /// Always available.
    public var health: DatabaseHealth { DatabaseHealth.alwaysAvailable }
    /// None.
    public var syncLogTable: (any SyncLogTable)? { nil }
    /// Nothing to release.
    public func close() async {}

    /// Runs `body` with this store and closes the store afterwards, however `body` ends (for
    /// commands and tests that open a store for one job).
    public func closing<T>(isolation: isolated (any Actor)? = #isolation, _ body: (Self) async throws -> T) async throws -> T {
        do {
            let result = try await body(self)
            await close()
            return result
        } catch {
            await close()
            throw error
        }
    }

    /// Adds one account.
    /// - Throws: `StoreError.accountExists` when the id is taken.
    public func insertAccount(_ record: AccountRecord) async throws {
        try await insertAccounts([record])
    }
}
