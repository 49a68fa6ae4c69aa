import Foundation
import Testing

@testable import PostSync

/// The `database` section (CONTRACT section 9): URL forms, the password rule, and errors that
/// name the key.
@Suite struct DatabaseConfigurationTests {
    /// Should read every documented key, the password from its file without the newline.
    @Test func readsTheContractExample() throws {
        let configuration = try ConfigurationTests.load(
            """
            database:
              url: postgres://postsync@127.0.0.1:5432/postsync
              password_file: /run/credentials/postsync.service/database-password
              schema: postsync
              max_connections: 8
              tls: require
            """, files: ["/run/credentials/postsync.service/database-password": "s3cret\n"])
        let database = configuration.database
        #expect(database.url == DatabaseURL(user: "postsync", host: "127.0.0.1", port: 5432, database: "postsync"))
        #expect(database.password?.value == "s3cret")
        #expect(database.schema == "postsync" && database.maxConnections == 8 && database.tls == .require)
        #expect(Configuration().database.url == nil, "SQLite is the default")
    }

    /// Should accept both schemes, a default port, IPv6 and a Unix-socket directory.
    @Test func parsesURLForms() throws {
        #expect(
            try DatabaseURL.parse("postgresql://app@db.internal/data")
                == DatabaseURL(user: "app", host: "db.internal", database: "data"))
        #expect(try DatabaseURL.parse("postgres://app@[::1]:6543/data").host == "::1")
        #expect(try DatabaseURL.parse("postgres://app@[::1]:6543/data").port == 6543)
        let socket = try DatabaseURL.parse("postgres://postsync@/postsync?host=/run/postgresql")
        #expect(socket.socketPath == "/run/postgresql/.s.PGSQL.5432")
        #expect(try DatabaseURL.parse("postgres://my%40user@h/db").user == "my@user")
    }

    /// Should refuse a password in the URL, naming `database.url` and never quoting the URL.
    @Test func passwordInURLNamesTheKey() throws {
        for url in ["postgres://postsync:hunter2@db/postsync", "postgres://postsync@db/postsync?password=hunter2"] {
            let error = try ConfigurationTests.loadError("database:\n  url: \(url)\n")
            #expect(error.key == "database.url")
            #expect(error.message.contains("password_file"))
            #expect(!error.description.contains("hunter2"))
        }
    }

    /// Should read the token key for either store (SQLite needs no url), and name the key of a
    /// bad one without quoting it.
    @Test func tokenKeyFile() throws {
        let key = TokenKey.generate()
        let configuration = try ConfigurationTests.load(
            "database:\n  token_key_file: /k\n", files: ["/k": key + "\n"])
        #expect(configuration.database.tokenKey == (try TokenKey(base64: key)))
        #expect(configuration.database.url == nil)
        let short = try ConfigurationTests.loadError("database:\n  token_key_file: /k\n", files: ["/k": "c2hvcnQ="])
        #expect(short.key == "database.token_key_file" && short.message.contains("not 32"))
        let missing = try ConfigurationTests.loadError("database:\n  token_key_file: /nope\n")
        #expect(missing.key == "database.token_key_file")
    }

    /// Should name the key of every malformed value.
    @Test func malformedValuesNameTheirKey() throws {
        let cases: [(String, String)] = [
            ("database:\n  url: mysql://u@h/db\n", "database.url"),
            ("database:\n  url: postgres://h/db\n", "database.url"),
            ("database:\n  url: postgres://u@h:99999/db\n", "database.url"),
            ("database:\n  url: postgres://u@h/db\n  schema: Public\n", "database.schema"),
            ("database:\n  url: postgres://u@h/db\n  schema: 1x\n", "database.schema"),
            ("database:\n  url: postgres://u@h/db\n  tls: maybe\n", "database.tls"),
            ("database:\n  url: postgres://u@h/db\n  max_connections: 0\n", "database.max_connections"),
            ("database:\n  url: postgres://u@h/db\n  password_file: /missing\n", "database.password_file"),
            ("database:\n  schema: other\n", "database.url"),
            ("database:\n  host: db\n", "database.host"),
        ]
        for (yaml, key) in cases {
            #expect(try ConfigurationTests.loadError(yaml).key == key, "\(yaml)")
        }
    }
}

/// The order in which a follower of `sync_log` delivers rows (`SyncLogTableCursor`).
@Suite struct SyncLogTableCursorTests {
    static func entry(_ seq: Int64) -> SyncLogEntry {
        SyncLogEntry(
            seq: seq, id: "\(seq)", accountId: "tiktok:a", platform: .tiktok, trigger: .schedule, postsFound: 0,
            postsSynced: 0, status: .success, errorMessage: nil, duration: 1, createdAt: Date(timeIntervalSince1970: 0),
            startedAt: Date(timeIntervalSince1970: 0), apiCalls: 1, tokenRefreshed: false, attempt: 1)
    }

    /// Should deliver consecutive rows at once, hold rows behind a gap until it fills or until
    /// `gapWait` passed, and never deliver a row twice.
    @Test func deliversInOrderAndWaitsOutGaps() {
        let start = Date(timeIntervalSince1970: 1_000)
        var cursor = SyncLogTableCursor(after: 10, gapWait: 0.5)
        #expect(cursor.accept([Self.entry(11), Self.entry(12)], now: start).map(\.seq) == [11, 12])
        // 13 is missing (another daemon's insert not yet committed): 14 waits.
        #expect(cursor.accept([Self.entry(14)], now: start).isEmpty)
        #expect(cursor.accept([Self.entry(14)], now: start.addingTimeInterval(0.2)).isEmpty)
        // 13 commits: both go, in order.
        #expect(cursor.accept([Self.entry(13), Self.entry(14)], now: start.addingTimeInterval(0.3)).map(\.seq) == [13, 14])
        #expect(cursor.accept([Self.entry(14)], now: start.addingTimeInterval(0.3)).isEmpty, "no repeats")
        // 15 never comes (a failed insert consumed it): 16 goes once the gap is old enough.
        #expect(cursor.accept([Self.entry(16)], now: start.addingTimeInterval(1)).isEmpty)
        #expect(cursor.accept([Self.entry(16), Self.entry(17)], now: start.addingTimeInterval(1.4)).isEmpty)
        #expect(cursor.accept([Self.entry(16), Self.entry(17)], now: start.addingTimeInterval(1.5)).map(\.seq) == [16, 17])
        #expect(cursor.last == 17)
    }
}
