import Foundation
import PostgresNIO

// Times are bound as the same RFC 3339 millisecond text SQLite stores and cast to timestamptz,
// so both stores keep the same precision and the engine tests see the same values.
extension PostgresStore {
    /// Adds accounts in one statement: nothing is added when one id is taken.
    /// - Throws: `StoreError.accountExists` for the first id taken (in the order given).
    public func insertAccounts(_ records: [AccountRecord]) async throws {
        guard !records.isEmpty else { return }
        let rows = try Self.snakeCaseJSON(records.map(AccountRow.init))
        let json = String(decoding: rows, as: UTF8.self)
        let s = self.s
        let ids = records.map(\.id)
        try await transaction { connection in
            let inserted = try await connection.query(
                """
                INSERT INTO \(unescaped: s).accounts (id, platform, external_id, username, login, auto_sync, state,
                    access_token, refresh_token, token_expires_at, refresh_expires_at, token_refreshed_at, last_sync_at,
                    next_sync_at, consecutive_failures, last_error, created_at)
                SELECT id, platform, external_id, username, login, auto_sync, state, access_token, refresh_token,
                    token_expires_at, refresh_expires_at, token_refreshed_at, last_sync_at, next_sync_at,
                    consecutive_failures, last_error, created_at
                FROM jsonb_to_recordset(\(json)::jsonb) AS t(id text, platform text, external_id text, username text,
                    login text, auto_sync boolean, state text, access_token text, refresh_token text,
                    token_expires_at timestamptz, refresh_expires_at timestamptz, token_refreshed_at timestamptz,
                    last_sync_at timestamptz, next_sync_at timestamptz, consecutive_failures bigint, last_error text,
                    created_at timestamptz)
                ON CONFLICT (id) DO NOTHING
                RETURNING id
                """, logger: self.logger)
            var added = Set<String>()
            for try await id in inserted.decode(String.self) { added.insert(id) }
            // Throwing rolls the transaction back, so a taken id adds nothing.
            if let taken = ids.first(where: { !added.contains($0.description) }) { throw StoreError.accountExists(taken) }
        }
    }

    /// The account with this id, or nil.
    public func account(_ id: AccountID) async throws -> AccountRecord? {
        let s = self.s
        return try await perform { client in
            let rows = try await client.query("SELECT * FROM \(unescaped: s).accounts WHERE id = \(id.description)")
            for try await row in rows { return try AccountRecord(postgres: row) }
            return nil
        }
    }

    /// Every account, ordered by id.
    public func accounts() async throws -> [AccountRecord] {
        let s = self.s
        return try await perform { client in
            var records: [AccountRecord] = []
            for try await row in try await client.query("SELECT * FROM \(unescaped: s).accounts ORDER BY id") {
                records.append(try AccountRecord(postgres: row))
            }
            return records
        }
    }

    /// Removes an account and, unless `keepPosts`, its posts and metric history.
    /// - Throws: `StoreError.unknownAccount`.
    public func deleteAccount(_ id: AccountID, keepPosts: Bool) async throws {
        let s = self.s
        let key = id.description
        let platform = id.platform.rawValue
        try await transaction { connection in
            let deleted = try await connection.query(
                "DELETE FROM \(unescaped: s).accounts WHERE id = \(key) RETURNING id", logger: self.logger
            ).collect()
            guard !deleted.isEmpty else { throw StoreError.unknownAccount(id) }
            guard !keepPosts else { return }
            try await connection.query(
                """
                DELETE FROM \(unescaped: s).post_metrics WHERE platform = \(platform) AND post_id IN
                    (SELECT post_id FROM \(unescaped: s).posts WHERE account_id = \(key) AND platform = \(platform))
                """, logger: self.logger)
            try await connection.query(
                "DELETE FROM \(unescaped: s).posts WHERE account_id = \(key)", logger: self.logger)
        }
    }

    /// Stores new tokens. A nil or empty refresh token never overwrites the stored one: TikTok
    /// rotation makes the stored one the only way back in.
    /// - Throws: `StoreError.unknownAccount`.
    public func saveTokens(_ id: AccountID, _ tokens: TokenUpdate) async throws {
        let refresh = (tokens.refreshToken?.isEmpty ?? true) ? nil : tokens.refreshToken
        let s = self.s
        let updated = try await perform { client in
            try await client.query(
                """
                UPDATE \(unescaped: s).accounts SET access_token = \(tokens.accessToken),
                    refresh_token = COALESCE(\(refresh), refresh_token),
                    token_expires_at = \(StoreDate.encode(tokens.expiresAt))::timestamptz,
                    refresh_expires_at = COALESCE(\(StoreDate.encode(tokens.refreshExpiresAt))::timestamptz,
                        refresh_expires_at),
                    token_refreshed_at = \(StoreDate.encode(tokens.refreshedAt))::timestamptz
                WHERE id = \(id.description)
                RETURNING 1
                """
            ).collect().count
        }
        guard updated > 0 else { throw StoreError.unknownAccount(id) }
    }

    /// Persists the schedule part of an account: state, next sync, failures and last error.
    public func saveSchedule(_ id: AccountID, _ schedule: AccountSchedule) async throws {
        try await saveSchedule(id, schedule, fence: nil)
    }

    /// Persists the schedule part of an account; with a fence, only while the row names the
    /// fence's node and epoch (the `WHERE` of the update).
    /// - Throws: `StoreError.leaseLost` when the fence no longer holds.
    public func saveSchedule(_ id: AccountID, _ schedule: AccountSchedule, fence: LeaseFence?) async throws {
        let s = self.s
        let updated = try await perform { client in
            try await client.query(
                """
                UPDATE \(unescaped: s).accounts SET state = \(schedule.state.rawValue),
                    next_sync_at = \(StoreDate.encode(schedule.nextSyncAt))::timestamptz,
                    consecutive_failures = \(schedule.consecutiveFailures),
                    last_error = \(schedule.lastError.map(PostgresStore.withoutNUL)),
                    schedule_model = COALESCE(\(schedule.rhythm?.text), schedule_model),
                    last_sync_at = COALESCE(\(StoreDate.encode(schedule.lastSyncAt))::timestamptz, last_sync_at)
                WHERE id = \(id.description) AND (\(fence?.node)::text IS NULL
                    OR (lease_owner = \(fence?.node)::text AND lease_epoch = \(fence?.epoch)::bigint))
                RETURNING 1
                """
            ).collect().count
        }
        if updated == 0, fence != nil { throw StoreError.leaseLost(id) }
    }

    /// Stores a refreshed pair by compare-and-swap on the stored pair it replaced; not fenced
    /// (the platform made the new pair the only valid one), but it says whether the fence still
    /// held, so that a daemon that lost the lease meanwhile can tell the new holder.
    public func saveRotatedTokens(_ id: AccountID, _ tokens: TokenUpdate, replacing: TokenPair, fence: LeaseFence?)
        async throws -> RotationSave
    {
        let refresh = (tokens.refreshToken?.isEmpty ?? true) ? nil : tokens.refreshToken
        let s = self.s
        let answer = try await perform { client -> Bool?? in
            let rows = try await client.query(
                """
                WITH target AS (SELECT id FROM \(unescaped: s).accounts WHERE id = \(id.description)),
                swapped AS (
                    UPDATE \(unescaped: s).accounts SET access_token = \(tokens.accessToken),
                        refresh_token = COALESCE(\(refresh), refresh_token),
                        token_expires_at = \(StoreDate.encode(tokens.expiresAt))::timestamptz,
                        refresh_expires_at = COALESCE(\(StoreDate.encode(tokens.refreshExpiresAt))::timestamptz,
                            refresh_expires_at),
                        token_refreshed_at = \(StoreDate.encode(tokens.refreshedAt))::timestamptz
                    WHERE id = \(id.description) AND access_token = \(replacing.access)
                        AND refresh_token IS NOT DISTINCT FROM \(replacing.refresh)::text
                    -- A released lease (no owner) is not held either: never NULL, which would read as refused.
                    RETURNING \(fence?.node)::text IS NULL
                        OR COALESCE(lease_owner = \(fence?.node)::text AND lease_epoch = \(fence?.epoch)::bigint, false)
                        AS held
                )
                SELECT (SELECT held FROM swapped) FROM target
                """
            )
            for try await held in rows.decode(Bool?.self) { return .some(held) }
            return .none
        }
        switch answer {
        case .none: throw StoreError.unknownAccount(id)
        case .some(.none): return .superseded
        case .some(.some(let held)): return .saved(stillHeld: held)
        }
    }

    /// Rewrites every account's tokens in one transaction (see `Store.rewriteTokens`): the rows
    /// are locked while `rewrite` runs, so no other write slips in between read and write.
    public func rewriteTokens(_ rewrite: @escaping @Sendable (AccountID, String, String?) throws -> TokenPair?) async throws
        -> Int
    {
        let s = self.s
        let logger = self.logger
        return try await transaction { connection in
            var updates: [TokenRow] = []
            let rows = try await connection.query(
                "SELECT id, access_token, refresh_token FROM \(unescaped: s).accounts ORDER BY id FOR UPDATE", logger: logger)
            for try await (key, access, refresh) in rows.decode((String, String, String?).self) {
                guard let id = AccountID(key) else { throw StoreError.corrupt("accounts.id \(key) is not an account id") }
                guard let pair = try rewrite(id, access, refresh) else { continue }
                updates.append(TokenRow(id: key, accessToken: pair.access, refreshToken: pair.refresh))
            }
            guard !updates.isEmpty else { return 0 }
            let json = String(decoding: try Self.snakeCaseJSON(updates), as: UTF8.self)
            try await connection.query(
                """
                UPDATE \(unescaped: s).accounts AS a SET access_token = t.access_token, refresh_token = t.refresh_token
                FROM jsonb_to_recordset(\(json)::jsonb) AS t(id text, access_token text, refresh_token text)
                WHERE a.id = t.id
                """, logger: logger)
            return updates.count
        }
    }

    /// Persists autoSync.
    /// - Throws: `StoreError.unknownAccount`.
    public func setAutoSync(_ id: AccountID, enabled: Bool) async throws {
        let s = self.s
        let updated = try await perform { client in
            try await client.query(
                "UPDATE \(unescaped: s).accounts SET auto_sync = \(enabled) WHERE id = \(id.description) RETURNING 1"
            ).collect().count
        }
        guard updated > 0 else { throw StoreError.unknownAccount(id) }
    }
}

/// The token columns of one row, for `rewriteTokens`.
private struct TokenRow: Encodable {
    var id: String
    var accessToken: String
    var refreshToken: String?
}

/// An `accounts` row as the JSON that `jsonb_to_recordset` reads (a whole batch in one bind).
private struct AccountRow: Encodable {
    var id: String
    var platform: String
    var externalId: String
    var username: String?
    var login: String?
    var autoSync: Bool
    var state: String
    var accessToken: String
    var refreshToken: String?
    var tokenExpiresAt: String?
    var refreshExpiresAt: String?
    var tokenRefreshedAt: String?
    var lastSyncAt: String?
    var nextSyncAt: String?
    var consecutiveFailures: Int
    var lastError: String?
    var createdAt: String

    init(_ record: AccountRecord) {
        id = record.id.description
        platform = record.id.platform.rawValue
        externalId = record.id.externalID
        username = record.username
        login = record.login?.rawValue
        autoSync = record.autoSync
        state = record.state.rawValue
        accessToken = record.accessToken
        refreshToken = record.refreshToken
        tokenExpiresAt = StoreDate.encode(record.tokenExpiresAt)
        refreshExpiresAt = StoreDate.encode(record.refreshExpiresAt)
        tokenRefreshedAt = StoreDate.encode(record.tokenRefreshedAt)
        lastSyncAt = StoreDate.encode(record.lastSyncAt)
        nextSyncAt = StoreDate.encode(record.nextSyncAt)
        consecutiveFailures = record.consecutiveFailures
        lastError = record.lastError
        createdAt = Timestamp.format(record.createdAt)
    }
}

extension AccountRecord {
    /// Reads a record from a `SELECT * FROM accounts` row of PostgreSQL.
    init(postgres row: PostgresRow) throws {
        let r = row.makeRandomAccess()
        let key = try r["id"].decode(String.self)
        guard let id = AccountID(key) else { throw StoreError.corrupt("accounts.id \(key) is not an account id") }
        self.init(
            id: id,
            username: try r["username"].decode(String?.self),
            login: try r["login"].decode(String?.self).flatMap(InstagramLogin.init(rawValue:)),
            autoSync: try r["auto_sync"].decode(Bool.self),
            state: AccountState(rawValue: try r["state"].decode(String.self)) ?? .idle,
            accessToken: try r["access_token"].decode(String.self),
            refreshToken: try r["refresh_token"].decode(String?.self),
            tokenExpiresAt: try r["token_expires_at"].decode(Date?.self),
            refreshExpiresAt: try r["refresh_expires_at"].decode(Date?.self),
            tokenRefreshedAt: try r["token_refreshed_at"].decode(Date?.self),
            lastSyncAt: try r["last_sync_at"].decode(Date?.self),
            nextSyncAt: try r["next_sync_at"].decode(Date?.self),
            consecutiveFailures: try r["consecutive_failures"].decode(Int.self),
            lastError: try r["last_error"].decode(String?.self),
            createdAt: try r["created_at"].decode(Date.self),
            rhythm: try r["schedule_model"].decode(String?.self).flatMap(PostingRhythm.init(text:))
        )
        pageDigest = try r["page_digest"].decode(String?.self).flatMap(PageDigest.init(text:))
        let owner = try r["lease_owner"].decode(String?.self)
        let epoch = try r["lease_epoch"].decode(Int64.self)
        // Never claimed: no lease at all, as in SQLite.
        if owner != nil || epoch != 0 {
            lease = AccountLease(owner: owner, expiresAt: try r["lease_expires_at"].decode(Date?.self), epoch: epoch)
        }
    }
}
