import Foundation

/// `sync.schedule` and its limits (CONTRACT section 12).
public enum ScheduleMode: Sendable, Equatable {
    /// Every account every `interval` ± jitter (section 2), exactly as before the adaptive one.
    case fixed
    /// The planner: calls go where new posts are likely, within these limits.
    case adaptive(AdaptiveLimits)

    /// The adaptive schedule's limits.
    public struct AdaptiveLimits: Sendable, Equatable {
        /// `sync.min_interval`: never more often than this per account (default 1m).
        public var minInterval: Duration
        /// `sync.max_interval`: every account at least this often while the budget allows (default 1h).
        public var maxInterval: Duration
        /// `sync.budget`: the fraction of each platform's call limit the schedule plans for (default 0.8).
        public var budget: Double

        /// Creates limits; the defaults are the documented ones.
        public init(minInterval: Duration = .seconds(60), maxInterval: Duration = .seconds(3_600), budget: Double = 0.8) {
            self.minInterval = minInterval
            self.maxInterval = maxInterval
            self.budget = budget
        }

        /// The limits around `interval`: an interval outside them moves the limit (a 10s
        /// interval in a test means a 10s floor; the loader refuses a file that sets both apart).
        public func fitted(to interval: Duration) -> AdaptiveLimits {
            var limits = self
            limits.minInterval = min(minInterval, interval)
            limits.maxInterval = max(maxInterval, interval)
            return limits
        }
    }
}
