/// The answer of `POST /v1/sync?wait=true` and the cron endpoint (the old cron endpoint's shape).
public struct SyncAllSummary: Sendable, Codable, Equatable {
    /// One failed account.
    public struct Failure: Sendable, Codable, Equatable {
        /// The account.
        public var accountId: String
        /// Why.
        public var message: String
    }

    /// Accounts tried.
    public var total: Int
    /// Runs that ended success or partial.
    public var synced: Int
    /// Runs that ended error (or could not run).
    public var failed: Int
    /// One item per failed account.
    public var errors: [Failure]
}
