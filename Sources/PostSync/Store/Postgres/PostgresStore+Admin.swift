import PostgresNIO

extension PostgresStore {
    /// The views an application may read: never `accounts`, which holds the tokens.
    public static let readerViews = ["SocialAccount", "PostMetrics", "PostMetricsHistory", "SyncLog"]

    /// The statements of `postsync db grant-reader ROLE`: `USAGE` on the schema and `SELECT` on
    /// the views only.
    public static func grantReaderSQL(role: String, schema: String) -> [String] {
        let s = quote(schema)
        let views = readerViews.map { "\(s).\(quote($0))" }.joined(separator: ", ")
        return [
            "GRANT USAGE ON SCHEMA \(s) TO \(quote(role))",
            "GRANT SELECT ON \(views) TO \(quote(role))",
        ]
    }

    /// Runs `grantReaderSQL` in one transaction.
    /// - Throws: `StoreError.database` (e.g. the role does not exist), `StoreError.unavailable`.
    public func grantReader(role: String) async throws {
        let statements = Self.grantReaderSQL(role: role, schema: schema)
        let logger = self.logger
        try await transaction { connection in
            for statement in statements {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
        }
    }

    /// Drops the schema with everything in it (`postsync demo --postgres` removes its own).
    public func dropSchema() async throws {
        let s = self.s
        _ = try await perform { client in try await client.query(PostgresQuery(unsafeSQL: "DROP SCHEMA \(s) CASCADE")) }
    }

    /// The `db status` report.
    public func report(url: DatabaseURL) async throws -> DatabaseReport {
        let s = self.s
        let logger = self.logger
        let (version, rows) = try await perform { client in
            try await client.withConnection { connection in
                let version = try await PostgresMigrations.version(connection, quoted: s, logger: logger)
                var rows: [String: Int] = [:]
                for table in ["accounts", "posts", "post_metrics", "sync_log"] {
                    let result = try await connection.query(
                        PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(s).\(table)"), logger: logger)
                    for try await count in result.decode(Int.self) { rows[table] = count }
                }
                return (version, rows)
            }
        }
        return DatabaseReport(
            backend: "postgresql", location: url.description, schema: schema, schemaVersion: version,
            latestVersion: PostgresMigrations.latest, rows: rows)
    }
}
