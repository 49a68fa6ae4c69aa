import Foundation
import PostSyncTestSupport
import PostgresNIO
import Testing

@testable import PostSync

/// The PostgreSQL store against the real test server (`scripts/with-postgres.sh`), each test in
/// a schema of its own: migrations, the schema-version guard, the views, grants and `sync_log`.
@Suite(.enabled(if: StoreBackend.all.contains(.postgres), "needs PostgreSQL: run under scripts/with-postgres.sh"))
struct PostgresStoreTests {
    /// Opens a store on a fresh schema, runs `body`, closes it.
    static func withStore<T: Sendable>(
        _ database: Configuration.Database? = nil, _ body: @Sendable (PostgresStore) async throws -> T
    ) async throws -> T {
        try await PostgresStore.open(try database ?? StoreBackend.postgresDatabase(), logger: testLogger()).closing(body)
    }

    static func record(_ external: String, token: String = "tok") -> AccountRecord {
        AccountRecord(
            id: AccountID(platform: .tiktok, externalID: external), accessToken: token, refreshToken: "r-\(token)",
            createdAt: Date(timeIntervalSince1970: 1_700_000_000))
    }

    /// Should migrate a new schema exactly once when several daemons start together.
    @Test func concurrentStartsMigrateOnce() async throws {
        let database = try StoreBackend.postgresDatabase()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask { try await Self.withStore(database) { _ in } }
            }
            try await group.waitForAll()
        }
        try await Self.withStore(database) { store in
            let report = try await store.report(url: database.url!)
            #expect(report.schemaVersion == PostgresMigrations.latest)
            let rows = try await store.perform { client in
                try await client.query("SELECT count(*) FROM \(unescaped: store.s).schema_migrations").collect().count
            }
            #expect(rows == 1)
            let versions = try await store.perform { client in
                var versions: [Int] = []
                for try await v in try await client.query(
                    "SELECT version FROM \(unescaped: store.s).schema_migrations ORDER BY version"
                ).decode(Int.self) { versions.append(v) }
                return versions
            }
            #expect(versions == PostgresMigrations.all.map(\.version), "each migration applied once")
        }
    }

    /// Should refuse a schema that a newer postsync migrated, naming both versions, and change
    /// nothing.
    @Test func newerSchemaStopsTheDaemon() async throws {
        let database = try StoreBackend.postgresDatabase()
        try await Self.withStore(database) { store in
            _ = try await store.perform { client in
                try await client.query(
                    "INSERT INTO \(unescaped: store.s).schema_migrations (version, name) VALUES (99, 'from-the-future')")
            }
        }
        await #expect(throws: StoreError.schemaTooNew(found: 99, known: PostgresMigrations.latest)) {
            try await Self.withStore(database) { _ in }
        }
        let message = StoreError.schemaTooNew(found: 99, known: 2).description
        #expect(message.contains("99") && message.contains("2"))
    }

    /// Should add nothing when one id of a batch is taken, and say which.
    @Test func insertAccountsIsAllOrNothing() async throws {
        try await Self.withStore { store in
            try await store.insertAccounts([Self.record("a")])
            await #expect(throws: StoreError.accountExists(Self.record("a").id)) {
                try await store.insertAccounts([Self.record("b"), Self.record("a"), Self.record("c")])
            }
            #expect(try await store.accounts().map(\.id.externalID) == ["a"])
            #expect(try await store.account(Self.record("a").id) == Self.record("a"))
        }
    }

    /// Should expose the four views without a token column, and let a reader role read them and
    /// nothing else.
    @Test func viewsAndReaderGrant() async throws {
        try await Self.withStore { store in
            try await store.insertAccounts([Self.record("v", token: "secret-token")])
            let role = "r_" + StoreBackend.uniqueSchema()
            _ = try await store.perform { client in try await client.query("CREATE ROLE \(unescaped: role)") }
            try await store.grantReader(role: role)
            let columns = try await store.perform { client in
                var columns: [String] = []
                for try await name in try await client.query(
                    """
                    SELECT column_name FROM information_schema.columns
                    WHERE table_schema = \(store.schema) AND table_name = 'SocialAccount' ORDER BY ordinal_position
                    """
                ).decode(String.self) { columns.append(name) }
                return columns
            }
            #expect(
                columns == [
                    "id", "platform", "externalId", "username", "isActive", "autoSync", "state", "lastSyncAt",
                    "nextSyncAt", "lastError", "createdAt",
                ])
            let privileges = try await store.perform { client in
                var granted: [String: Bool] = [:]
                for name in ["accounts", "posts", "SocialAccount", "PostMetrics", "PostMetricsHistory", "SyncLog"] {
                    let qualified = "\(store.s).\(PostgresStore.quote(name))"
                    for try await has in try await client.query(
                        "SELECT has_table_privilege(\(role), \(qualified), 'SELECT')"
                    ).decode(Bool.self) { granted[name] = has }
                }
                return granted
            }
            #expect(
                privileges == [
                    "accounts": false, "posts": false, "SocialAccount": true, "PostMetrics": true,
                    "PostMetricsHistory": true, "SyncLog": true,
                ])
            _ = try await store.perform { client in try await client.query("DROP OWNED BY \(unescaped: role)") }
            _ = try await store.perform { client in try await client.query("DROP ROLE \(unescaped: role)") }
        }
    }

    /// Should give `sync_log` rows strictly increasing seqs past a given start, and filter them.
    @Test func syncLogTableSeqsAndFilters() async throws {
        try await Self.withStore { store in
            try await store.advanceSequence(past: 41)
            var entry = SyncLogTableCursorTests.entry(0)
            var seqs: [Int64] = []
            for n in 0..<5 {
                entry.id = "e\(n)"
                entry.status = n % 2 == 0 ? .success : .error
                seqs.append(try await store.insertEntry(entry, node: "n1", fence: nil))
            }
            #expect(seqs == [42, 43, 44, 45, 46])
            try await store.advanceSequence(past: 10)
            #expect(
                try await store.insertEntry(
                    {
                        var e = entry
                        e.id = "e5"
                        return e
                    }(), node: "n2", fence: nil) == 47)
            #expect(try await store.lastSeq() == 47)
            let errors = try await store.entries(matching: SyncLogFilter(status: .error), upTo: 47, limit: nil)
            #expect(errors.map(\.id) == ["e1", "e3"])
            #expect(try await store.entries(matching: SyncLogFilter(), upTo: 46, limit: 2).map(\.seq) == [45, 46])
            #expect(try await store.entries(writtenBy: ["n2"], after: 0).map(\.id) == ["e5"])
        }
    }
}
