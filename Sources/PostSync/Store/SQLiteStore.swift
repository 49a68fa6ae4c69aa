import Foundation
import GRDB

/// The embedded store: SQLite through GRDB (CONTRACT section 7). One `DatabasePool` (WAL, so
/// other programs may read while the daemon writes); every method is one short transaction, run
/// with GRDB's async access so that a write waiting on the busy timeout suspends its caller
/// instead of blocking a cooperative thread.
public struct SQLiteStore: Store {
    let writer: any DatabaseWriter

    /// Opens (creating if needed) the database file, makes it and its WAL files mode 0600, and
    /// runs the migrations.
    /// - Parameter path: The `postsync.sqlite` path.
    /// - Throws: When the file cannot be opened or migrated.
    public init(path: String) throws {
        var configuration = GRDB.Configuration()
        // Writers queue behind each other instead of failing at once; readers never block in WAL.
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        let pool = try DatabasePool(path: path, configuration: configuration)
        for file in [path, path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: file) {
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
        }
        try self.init(writer: pool)
    }

    /// Wraps an already open database (tests use an in-memory queue).
    /// - Throws: When a migration fails.
    public init(writer: any DatabaseWriter) throws {
        self.writer = writer
        try Migrations.migrator.migrate(writer)
    }

    /// An in-memory store for tests.
    public static func inMemory() throws -> SQLiteStore {
        try SQLiteStore(writer: DatabaseQueue())
    }

    // MARK: - Accounts

    /// The account with this id, or nil.
    public func account(_ id: AccountID) async throws -> AccountRecord? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM accounts WHERE id = ?", arguments: [id.description])
                .map(AccountRecord.init(row:))
        }
    }

    /// Every account, ordered by id.
    public func accounts() async throws -> [AccountRecord] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM accounts ORDER BY id").map(AccountRecord.init(row:))
        }
    }

    /// Removes an account and, unless `keepPosts`, its posts and metric history.
    /// - Throws: `StoreError.unknownAccount`.
    public func deleteAccount(_ id: AccountID, keepPosts: Bool) async throws {
        try await writer.write { db in
            try db.execute(sql: "DELETE FROM accounts WHERE id = ?", arguments: [id.description])
            guard db.changesCount > 0 else { throw StoreError.unknownAccount(id) }
            if !keepPosts {
                try db.execute(
                    sql: """
                        DELETE FROM post_metrics WHERE platform = ? AND post_id IN
                            (SELECT post_id FROM posts WHERE account_id = ?)
                        """,
                    arguments: [id.platform.rawValue, id.description])
                try db.execute(sql: "DELETE FROM posts WHERE account_id = ?", arguments: [id.description])
            }
        }
    }

    /// Stores new tokens. A nil or empty refresh token never overwrites the stored one: TikTok
    /// rotation makes the stored one the only way back in.
    /// - Throws: `StoreError.unknownAccount`.
    public func saveTokens(_ id: AccountID, _ tokens: TokenUpdate) async throws {
        let refresh = (tokens.refreshToken?.isEmpty ?? true) ? nil : tokens.refreshToken
        try await writer.write { db in
            try db.execute(
                sql: """
                    UPDATE accounts SET access_token = ?, refresh_token = COALESCE(?, refresh_token),
                        token_expires_at = ?, refresh_expires_at = COALESCE(?, refresh_expires_at),
                        token_refreshed_at = ?
                    WHERE id = ?
                    """,
                arguments: [
                    tokens.accessToken, refresh, StoreDate.encode(tokens.expiresAt),
                    StoreDate.encode(tokens.refreshExpiresAt), StoreDate.encode(tokens.refreshedAt), id.description,
                ])
            guard db.changesCount > 0 else { throw StoreError.unknownAccount(id) }
        }
    }

    /// Stores a refreshed pair unless the stored one is no longer `replacing` (an operator's
    /// token, stored while the refresh was in flight, wins). One daemon holds every account, so
    /// the fence is always held.
    public func saveRotatedTokens(_ id: AccountID, _ tokens: TokenUpdate, replacing: TokenPair, fence: LeaseFence?)
        async throws -> RotationSave
    {
        let refresh = (tokens.refreshToken?.isEmpty ?? true) ? nil : tokens.refreshToken
        return try await writer.write { db in
            try db.execute(
                sql: """
                    UPDATE accounts SET access_token = ?, refresh_token = COALESCE(?, refresh_token),
                        token_expires_at = ?, refresh_expires_at = COALESCE(?, refresh_expires_at),
                        token_refreshed_at = ?
                    WHERE id = ? AND access_token = ? AND refresh_token IS ?
                    """,
                arguments: [
                    tokens.accessToken, refresh, StoreDate.encode(tokens.expiresAt),
                    StoreDate.encode(tokens.refreshExpiresAt), StoreDate.encode(tokens.refreshedAt), id.description,
                    replacing.access, replacing.refresh,
                ])
            if db.changesCount > 0 { return .saved(stillHeld: true) }
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM accounts WHERE id = ?", arguments: [id.description]) != nil
            else { throw StoreError.unknownAccount(id) }
            return .superseded
        }
    }

    /// Persists the schedule part of an account: state, next sync, failures, last error, what
    /// the schedule learned and the last sync time.
    public func saveSchedule(_ id: AccountID, _ schedule: AccountSchedule) async throws {
        try await writer.write { db in
            // Once per run: the statement is prepared once per connection.
            try db.cachedStatement(
                sql: """
                    UPDATE accounts SET state = ?, next_sync_at = ?, consecutive_failures = ?, last_error = ?,
                        schedule_model = COALESCE(?, schedule_model), last_sync_at = COALESCE(?, last_sync_at)
                    WHERE id = ?
                    """
            ).execute(
                arguments: [
                    schedule.state.rawValue, StoreDate.encode(schedule.nextSyncAt), schedule.consecutiveFailures,
                    schedule.lastError, schedule.rhythm?.text, StoreDate.encode(schedule.lastSyncAt), id.description,
                ])
        }
    }

    /// Persists autoSync.
    /// - Throws: `StoreError.unknownAccount`.
    public func setAutoSync(_ id: AccountID, enabled: Bool) async throws {
        try await writer.write { db in
            try db.execute(sql: "UPDATE accounts SET auto_sync = ? WHERE id = ?", arguments: [enabled, id.description])
            guard db.changesCount > 0 else { throw StoreError.unknownAccount(id) }
        }
    }
}

extension SQLiteStore {
    /// Rewrites every account's tokens in one transaction (see `Store.rewriteTokens`).
    public func rewriteTokens(_ rewrite: @escaping @Sendable (AccountID, String, String?) throws -> TokenPair?) async throws
        -> Int
    {
        try await writer.write { db in
            var changed = 0
            let rows = try Row.fetchAll(db, sql: "SELECT id, access_token, refresh_token FROM accounts ORDER BY id")
            for row in rows {
                let key: String = row[0]
                guard let id = AccountID(key) else { throw StoreError.corrupt("accounts.id \(key) is not an account id") }
                guard let pair = try rewrite(id, row[1], row[2]) else { continue }
                try db.execute(
                    sql: "UPDATE accounts SET access_token = ?, refresh_token = ? WHERE id = ?",
                    arguments: [pair.access, pair.refresh, key])
                changed += 1
            }
            return changed
        }
    }

    /// Adds accounts in one transaction.
    /// - Throws: `StoreError.accountExists` for the first id taken; nothing is added then.
    public func insertAccounts(_ records: [AccountRecord]) async throws {
        try await writer.write { db in
            for record in records {
                if try Bool.fetchOne(db, sql: "SELECT 1 FROM accounts WHERE id = ?", arguments: [record.id.description]) == true {
                    throw StoreError.accountExists(record.id)
                }
                try db.cachedStatement(
                    sql: """
                        INSERT INTO accounts (id, platform, external_id, username, login, auto_sync, state, access_token,
                            refresh_token, token_expires_at, refresh_expires_at, token_refreshed_at, last_sync_at,
                            next_sync_at, consecutive_failures, last_error, created_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """
                ).execute(arguments: [
                    record.id.description, record.id.platform.rawValue, record.id.externalID, record.username,
                    record.login?.rawValue, record.autoSync, record.state.rawValue, record.accessToken,
                    record.refreshToken, StoreDate.encode(record.tokenExpiresAt),
                    StoreDate.encode(record.refreshExpiresAt), StoreDate.encode(record.tokenRefreshedAt),
                    StoreDate.encode(record.lastSyncAt), StoreDate.encode(record.nextSyncAt),
                    record.consecutiveFailures, record.lastError, StoreDate.encode(record.createdAt),
                ])
            }
        }
    }
}

extension SQLiteStore {
    /// The insights metrics found unsupported per kind of media.
    public func unsupportedInsights() async throws -> [InsightMetricKey: Date] {
        try await writer.read { db in
            var table: [InsightMetricKey: Date] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM insight_support") {
                guard let since = StoreDate.decode(row["unsupported_since"]) else { continue }
                table[InsightMetricKey(mediaType: row["media_type"], productType: row["product_type"], metric: row["metric"])] =
                    since
            }
            return table
        }
    }

    /// Records a finding about one metric of one kind of media.
    public func saveInsightSupport(_ key: InsightMetricKey, unsupportedSince: Date?) async throws {
        try await writer.write { db in
            if let since = unsupportedSince {
                try db.execute(
                    sql: """
                        INSERT INTO insight_support (media_type, product_type, metric, unsupported_since) VALUES (?, ?, ?, ?)
                        ON CONFLICT (media_type, product_type, metric) DO UPDATE SET unsupported_since = excluded.unsupported_since
                        """, arguments: [key.mediaType, key.productType, key.metric, Timestamp.format(since)])
            } else {
                try db.execute(
                    sql: "DELETE FROM insight_support WHERE media_type = ? AND product_type = ? AND metric = ?",
                    arguments: [key.mediaType, key.productType, key.metric])
            }
        }
    }

    /// The `db status` report.
    public func report(path: String) async throws -> DatabaseReport {
        let (applied, rows) = try await writer.read { db -> (Int, [String: Int]) in
            let applied = try Migrations.migrator.appliedIdentifiers(db).count
            var rows: [String: Int] = [:]
            for table in ["accounts", "posts", "post_metrics"] {
                rows[table] = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0
            }
            return (applied, rows)
        }
        return DatabaseReport(
            backend: "sqlite", location: path, schema: nil, schemaVersion: applied,
            latestVersion: Migrations.migrator.migrations.count, rows: rows)
    }
}
