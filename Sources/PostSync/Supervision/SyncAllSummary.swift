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

extension SyncAllSummary {
    /// An empty summary over `total` accounts.
    init(total: Int) {
        self.total = total
        synced = 0
        failed = 0
        errors = []
    }

    /// Counts one account's run: `entry` nil means the run did not happen; `crash` is the
    /// worker's failure when it threw instead of logging.
    mutating func add(_ id: AccountID, entry: SyncLogEntry?, crash: String? = nil) {
        if let entry, entry.status != .error, crash == nil {
            synced += 1
        } else {
            failed += 1
            let message = crash ?? entry?.errorMessage ?? "the run did not start"
            errors.append(Failure(accountId: id.description, message: message))
        }
    }
}
