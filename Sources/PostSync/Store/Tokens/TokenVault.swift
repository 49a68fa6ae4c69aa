import Foundation
import Logging

/// The one path between the daemon and the tokens in its store (CONTRACT section 13): a `Store`
/// that wraps the real one, seals every token before it is written and opens it when it is read,
/// so that with `database.token_key_file` the store never sees a plaintext token. It also makes
/// the first start with a key encrypt the plaintext rows, refuses a wrong key, and re-seals every
/// token with a new key (`rekey`) without losing a rotation that lands meanwhile.
public final class TokenVault: Store {
    /// The store underneath (PostgreSQL-only tools reach it through this).
    public let base: any Store
    private let sealer: Locked<TokenSealer>
    /// Token writes and a rekey exclude each other: a token sealed with the old key must not be
    /// committed after the rekey re-sealed every row.
    private let tokenWrites = AsyncSemaphore(permits: 1)

    /// Wraps `base`; `key` nil stores plaintext.
    public init(base: any Store, key: TokenKey?) {
        self.base = base
        sealer = Locked(TokenSealer(key: key))
    }

    /// The key new tokens are sealed with, if any.
    public var key: TokenKey? { sealer.withLock { $0.key } }

    // MARK: - Start and rekey

    /// What `prepare` did.
    public struct Preparation: Sendable, Equatable {
        /// Rows whose plaintext tokens were sealed now (first start with a key).
        public var sealed: Int
        /// Accounts whose stored token does not open; they were put in `needs_reauth`.
        public var undecryptable: [AccountID]
    }

    /// Checks the stored tokens against the key at start: with a key, seals every plaintext row
    /// in one transaction; without one, warns once that tokens are plaintext. An account whose
    /// token does not open (changed or copied bytes) goes to `needs_reauth` with a clear
    /// `lastError`, and the daemon runs on.
    /// - Throws: `TokenSealer.OpenError.wrongKey` when rows are sealed with another key (or with
    ///   a key while none is given); nothing is rewritten then.
    @discardableResult
    public func prepare(logger: Logger) async throws -> Preparation {
        let sealer = self.sealer.withLock { $0 }
        var plaintext = 0
        var undecryptable: [(AccountRecord, String)] = []
        for record in try await base.accounts() {
            for stored in [record.accessToken] + (record.refreshToken.map { [$0] } ?? []) {
                guard let id = TokenSealer.keyID(of: stored) else {
                    plaintext += 1
                    continue
                }
                // A damaged value (no valid key id) parks its account below; only a real key id
                // that is not ours stops the start.
                guard id == sealer.key?.id || !TokenSealer.isKeyID(id) else {
                    throw TokenSealer.OpenError.wrongKey(expected: id, given: sealer.key?.id)
                }
            }
            do {
                _ = try open(record, with: sealer)
            } catch {
                undecryptable.append((record, error.description))
            }
        }
        var sealed = 0
        if sealer.key != nil, plaintext > 0 {
            sealed = try await base.rewriteTokens { id, access, refresh in
                let hasPlaintext =
                    TokenSealer.keyID(of: access) == nil || (refresh.map { TokenSealer.keyID(of: $0) == nil } ?? false)
                guard hasPlaintext else { return nil }
                let seal = { (token: String) in TokenSealer.keyID(of: token) == nil ? sealer.seal(token, for: id) : token }
                return TokenPair(access: seal(access), refresh: refresh.map(seal))
            }
            logger.notice(
                "plaintext tokens encrypted", metadata: ["tokens.accounts": "\(sealed)", "tokens.key_id": "\(sealer.key!.id)"])
        } else if sealer.key == nil {
            logger.warning(
                "tokens are stored in plaintext: set database.token_key_file to encrypt them (postsync tokens generate-key)")
        }
        for (record, message) in undecryptable {
            logger.error("stored token does not decrypt; account needs a new token", metadata: ["account.id": "\(record.id)"])
            try await base.saveSchedule(
                record.id,
                AccountSchedule(
                    state: .needsReauth, nextSyncAt: nil, consecutiveFailures: record.consecutiveFailures, lastError: message))
        }
        return Preparation(sealed: sealed, undecryptable: undecryptable.map(\.0.id))
    }

    /// Re-seals every token with `newKey` in one transaction, then seals with it from now on.
    /// A token write that arrives meanwhile waits for the rekey and is sealed with the new key.
    /// - Returns: How many accounts were re-sealed.
    /// - Throws: When a stored token does not open (nothing is changed then).
    public func rekey(to newKey: TokenKey) async throws -> Int {
        try await tokenWrites.acquire()
        defer { tokenWrites.release() }
        let old = sealer.withLock { $0 }
        let new = TokenSealer(key: newKey, alsoOpens: old.readableKeys)
        let count: Int
        do {
            count = try await base.rewriteTokens { id, access, refresh in
                TokenPair(
                    access: new.seal(try old.open(access, for: id), for: id),
                    refresh: try refresh.map { new.seal(try old.open($0, for: id), for: id) })
            }
        } catch {
            // The transaction may have committed although its answer was lost (a timeout, a
            // dropped connection): the stored key id says which key the rows carry now.
            let current = try? await base.accounts().first.flatMap { TokenSealer.keyID(of: $0.accessToken) }
            if current == newKey.id { sealer.withLock { $0 = new } }
            throw error
        }
        // Rows read before the commit may still carry the old key: keep opening it.
        sealer.withLock { $0 = new }
        return count
    }

    // MARK: - Store

    public func insertAccounts(_ records: [AccountRecord]) async throws {
        try await tokenWrites.acquire()
        defer { tokenWrites.release() }
        let sealer = self.sealer.withLock { $0 }
        try await base.insertAccounts(records.map { seal($0, with: sealer) })
    }

    public func account(_ id: AccountID) async throws -> AccountRecord? {
        try await base.account(id).map(openOrBlank)
    }

    public func accounts() async throws -> [AccountRecord] {
        try await base.accounts().map(openOrBlank)
    }

    public func deleteAccount(_ id: AccountID, keepPosts: Bool) async throws {
        try await base.deleteAccount(id, keepPosts: keepPosts)
    }

    public func saveTokens(_ id: AccountID, _ tokens: TokenUpdate) async throws {
        try await tokenWrites.acquire()
        defer { tokenWrites.release() }
        let sealer = self.sealer.withLock { $0 }
        var sealed = tokens
        sealed.accessToken = sealer.seal(tokens.accessToken, for: id)
        sealed.refreshToken = tokens.refreshToken.flatMap { $0.isEmpty ? nil : sealer.seal($0, for: id) }
        try await base.saveTokens(id, sealed)
    }

    public func saveSchedule(_ id: AccountID, _ schedule: AccountSchedule) async throws {
        try await base.saveSchedule(id, schedule)
    }

    public func saveSchedule(_ id: AccountID, _ schedule: AccountSchedule, fence: LeaseFence?) async throws {
        try await base.saveSchedule(id, schedule, fence: fence)
    }

    /// Sealing is randomized, so the stored pair cannot be matched by sealing `replacing` again:
    /// the stored row is read and opened, compared with `replacing` in constant time, and the
    /// swap is then made on the sealed text that was read (a write in between fails it).
    public func saveRotatedTokens(_ id: AccountID, _ tokens: TokenUpdate, replacing: TokenPair, fence: LeaseFence?)
        async throws -> RotationSave
    {
        try await tokenWrites.acquire()
        defer { tokenWrites.release() }
        let sealer = self.sealer.withLock { $0 }
        guard let stored = try await base.account(id) else { throw StoreError.unknownAccount(id) }
        let opened = openOrBlank(stored)
        let sameAccess = ConstantTime.equal(opened.accessToken, replacing.access)
        let sameRefresh = ConstantTime.equal(opened.refreshToken ?? "", replacing.refresh ?? "")
        guard sameAccess, sameRefresh, (opened.refreshToken == nil) == (replacing.refresh == nil) else { return .superseded }
        var sealed = tokens
        sealed.accessToken = sealer.seal(tokens.accessToken, for: id)
        sealed.refreshToken = tokens.refreshToken.flatMap { $0.isEmpty ? nil : sealer.seal($0, for: id) }
        return try await base.saveRotatedTokens(
            id, sealed, replacing: TokenPair(access: stored.accessToken, refresh: stored.refreshToken), fence: fence)
    }

    public func setAutoSync(_ id: AccountID, enabled: Bool) async throws {
        try await base.setAutoSync(id, enabled: enabled)
    }

    public func ingest(_ posts: [FetchedPost], for account: AccountID, now: Date) async throws -> IngestResult {
        try await base.ingest(posts, for: account, now: now)
    }

    public func ingest(_ posts: [FetchedPost], for account: AccountID, now: Date, fence: LeaseFence?) async throws
        -> IngestResult
    {
        try await base.ingest(posts, for: account, now: now, fence: fence)
    }

    public func ingest(
        _ posts: [FetchedPost], for account: AccountID, now: Date, fence: LeaseFence?, digest: PageDigest?
    ) async throws -> IngestResult {
        try await base.ingest(posts, for: account, now: now, fence: fence, digest: digest)
    }

    public func recentPosts(of account: AccountID, publishedSince since: Date) async throws -> [String: Date] {
        try await base.recentPosts(of: account, publishedSince: since)
    }

    public func postCounts() async throws -> [String: Int] {
        try await base.postCounts()
    }

    public func posts(account: AccountID?, since: Date?, limit: Int) async throws -> [PostView] {
        try await base.posts(account: account, since: since, limit: limit)
    }

    public func metricHistory(platform: Platform, postID: String) async throws -> [PostMetrics] {
        try await base.metricHistory(platform: platform, postID: postID)
    }

    public func rewriteTokens(_ rewrite: @escaping @Sendable (AccountID, String, String?) throws -> TokenPair?) async throws
        -> Int
    {
        try await base.rewriteTokens(rewrite)
    }

    public func unsupportedInsights() async throws -> [InsightMetricKey: Date] {
        try await base.unsupportedInsights()
    }

    public func saveInsightSupport(_ key: InsightMetricKey, unsupportedSince: Date?) async throws {
        try await base.saveInsightSupport(key, unsupportedSince: unsupportedSince)
    }

    public var health: DatabaseHealth { base.health }

    public var syncLogTable: (any SyncLogTable)? { base.syncLogTable }

    public func close() async {
        await base.close()
    }

    // MARK: - Sealing records

    /// A row read around the vault (a lease claim returns whole rows) with its tokens opened.
    public func opened(_ record: AccountRecord) -> AccountRecord {
        openOrBlank(record)
    }

    private func seal(_ record: AccountRecord, with sealer: TokenSealer) -> AccountRecord {
        var sealed = record
        sealed.accessToken = sealer.seal(record.accessToken, for: record.id)
        sealed.refreshToken = record.refreshToken.map { sealer.seal($0, for: record.id) }
        return sealed
    }

    private func open(_ record: AccountRecord, with sealer: TokenSealer) throws(TokenSealer.OpenError) -> AccountRecord {
        var opened = record
        opened.accessToken = try sealer.open(record.accessToken, for: record.id)
        opened.refreshToken = try record.refreshToken.map { stored throws(TokenSealer.OpenError) in
            try sealer.open(stored, for: record.id)
        }
        return opened
    }

    /// The record with its tokens opened, each on its own: a token that does not open comes back
    /// empty (`prepare` put such an account in `needs_reauth`, so nothing calls a platform with
    /// it), and a good one is kept.
    private func openOrBlank(_ record: AccountRecord) -> AccountRecord {
        let sealer = self.sealer.withLock { $0 }
        var opened = record
        opened.accessToken = (try? sealer.open(record.accessToken, for: record.id)) ?? ""
        opened.refreshToken = record.refreshToken.flatMap { try? sealer.open($0, for: record.id) }
        return opened
    }
}
