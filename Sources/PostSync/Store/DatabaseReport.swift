/// What `postsync db status` shows (CONTRACT section 9): the backend, where it is, the schema
/// version and the row counts.
public struct DatabaseReport: Sendable, Codable, Equatable {
    /// `sqlite` or `postgresql`.
    public var backend: String
    /// The SQLite file, or the PostgreSQL URL (which never holds a password).
    public var location: String
    /// The PostgreSQL schema; nil for SQLite.
    public var schema: String?
    /// The highest migration applied.
    public var schemaVersion: Int
    /// The highest migration this binary knows.
    public var latestVersion: Int
    /// Rows per table (`accounts`, `posts`, `post_metrics`, and `sync_log` with PostgreSQL).
    public var rows: [String: Int]

    /// Creates a report.
    public init(
        backend: String, location: String, schema: String?, schemaVersion: Int, latestVersion: Int, rows: [String: Int]
    ) {
        self.backend = backend
        self.location = location
        self.schema = schema
        self.schemaVersion = schemaVersion
        self.latestVersion = latestVersion
        self.rows = rows
    }
}
