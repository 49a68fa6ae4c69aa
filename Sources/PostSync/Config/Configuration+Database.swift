extension Configuration {
    /// `database`: where the store lives (CONTRACT section 9). Without `url`, SQLite at
    /// `<state_dir>/postsync.sqlite`; with it, PostgreSQL.
    public struct Database: Sendable, Equatable {
        /// `database.tls`.
        public enum TLSMode: String, Sendable, Equatable, CaseIterable {
            /// Plain TCP.
            case disable
            /// TLS when the server offers it, without verifying the certificate.
            case prefer
            /// TLS only, and the certificate must verify against the system's trust roots.
            case require
        }

        /// `database.url`; nil selects SQLite.
        public var url: DatabaseURL?
        /// The password read from `database.password_file`, if set.
        public var password: Secret?
        /// `database.schema`: every table, view and sequence of postsync lives in it.
        public var schema: String
        /// `database.max_connections`: the connection pool's size.
        public var maxConnections: Int
        /// `database.tls`.
        public var tls: TLSMode
        /// The key read from `database.token_key_file` (CONTRACT section 13, both stores); nil
        /// stores tokens in plaintext.
        public var tokenKey: TokenKey?

        /// Creates the section; the defaults are the documented ones.
        public init(
            url: DatabaseURL? = nil, password: Secret? = nil, schema: String = "postsync", maxConnections: Int = 8,
            tls: TLSMode = .prefer, tokenKey: TokenKey? = nil
        ) {
            self.tokenKey = tokenKey
            self.url = url
            self.password = password
            self.schema = schema
            self.maxConnections = maxConnections
            self.tls = tls
        }

        /// Whether the store is PostgreSQL.
        public var isPostgres: Bool { url != nil }
    }
}
