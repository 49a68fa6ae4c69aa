import Foundation
import PostSync

/// The store implementations the engine tests run against: every engine test takes one as its
/// argument (`@Test(arguments: StoreBackend.all)`), so the same suite runs against SQLite and
/// against a real PostgreSQL server (CONTRACT section 9).
public enum StoreBackend: String, CaseIterable, Sendable, CustomStringConvertible {
    /// SQLite in the daemon's state directory (CONTRACT section 7), the embedded default.
    case sqlite
    /// PostgreSQL at `POSTSYNC_TEST_DATABASE_URL` (set by `scripts/with-postgres.sh`), each test
    /// in a schema of its own so that tests run in parallel on one server.
    case postgres

    /// Every backend the suite runs against: PostgreSQL only when a server was given, or when CI
    /// requires one (then a missing server fails the PostgreSQL cases instead of dropping them;
    /// `PostgresSuiteTests` reports the skip locally, with its reason).
    public static var all: [StoreBackend] {
        PostgresTestEnvironment.url != nil || PostgresTestEnvironment.required ? allCases : [.sqlite]
    }

    /// The backend's name in test output.
    public var description: String { rawValue }

    /// Why the PostgreSQL cases do not run here, or nil when they do.
    public static var postgresSkipReason: String? {
        all.contains(.postgres)
            ? nil
            : "POSTSYNC_TEST_DATABASE_URL is not set: run the tests under scripts/with-postgres.sh to include PostgreSQL"
    }

    /// A daemon configuration that selects this backend (SQLite needs no setting).
    /// - Throws: For PostgreSQL, when no server was given (only in CI, which requires one).
    public func configure(_ configuration: Configuration) throws -> Configuration {
        switch self {
        case .sqlite:
            return configuration
        case .postgres:
            var configuration = configuration
            configuration.database = try Self.postgresDatabase()
            return configuration
        }
    }

    /// A `database` section on the test server with a fresh schema.
    /// - Throws: When `POSTSYNC_TEST_DATABASE_URL` is missing or malformed.
    public static func postgresDatabase(url: String? = PostgresTestEnvironment.url) throws -> Configuration.Database {
        guard let url else {
            throw PostgresTestServer.Unavailable("POSTSYNC_TEST_DATABASE_URL is not set (CI=true requires PostgreSQL)")
        }
        return Configuration.Database(
            url: try DatabaseURL.parse(url), schema: uniqueSchema(), maxConnections: 4, tls: .disable)
    }

    /// A schema name no other test uses.
    public static func uniqueSchema() -> String {
        "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
    }
}
