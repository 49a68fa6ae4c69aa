import Foundation

/// A platform budget shared by every daemon of a cluster (CONTRACT section 10: TikTok's
/// `requests_per_minute` bounds the calls of all daemons together, per endpoint): one sliding
/// window per endpoint, kept in the database, where every call is reserved before it is made.
///
/// Why not a share each (the budget ÷ the live daemons): a sliding window remembers the last
/// minute, so when a daemon dies or joins, the survivors' raised shares (or the newcomer's fresh
/// window) add up to more than the budget for up to a minute. One shared window never does.
protocol SharedCallBudget: Sendable {
    /// Reserves the next free slot of `endpoint`'s window (at most `limit` calls in any
    /// `window` seconds), unless it is more than `maxWait` seconds away.
    /// - Parameter now: The caller's time, for the decision it returns (the window itself runs
    ///   on the database's clock, which all daemons share).
    func reserve(_ endpoint: String, limit: Int, window: TimeInterval, maxWait: TimeInterval, now: Date) async throws
        -> RateDecision
}
