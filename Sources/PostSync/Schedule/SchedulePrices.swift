import Foundation

/// What a sync costs in each hour of the week, for one platform: the planner's exchange rate
/// between an account's learned rate and how often it is synced. An account whose sync is worth
/// `λ` posts per hour is synced `√λ / price` times an hour, kept within `1/cap … 1/min`.
///
/// The square root is the optimum of the benchmark's objective: with a fixed number of calls,
/// the mean delay from publication to storage, `Σ λᵢ·Iᵢ/2`, under `Σ 1/Iᵢ = calls`, is least when
/// `Iᵢ ∝ 1/√λᵢ` (a Lagrange multiplier away). Syncing in proportion to `λ` overspends on the
/// busiest accounts, and uniformly (the fixed schedule) on the quiet ones.
public struct SchedulePrices: Sendable, Equatable {
    /// The price of each hour of the week (hours × √(posts per hour)).
    public var hourly: [Double]
    /// The longest interval planned (seconds): `max_interval`, or longer when the budget cannot
    /// give every account even that.
    public var cap: TimeInterval
    /// The shortest interval planned (seconds): `min_interval`.
    public var minimum: TimeInterval
    /// Calls the budget allows ÷ calls `interval` would need (1 when it allows them all).
    public var budgetRatio: Double
    /// The calls each hour of the week should see at these prices, from what the accounts
    /// learned (the board compares what it sees with this; empty: not known).
    public var expectedCalls: [Double]
    /// The lowest price each hour may have without going over the platform's limit × budget
    /// (zeros when no limit counts calls); a correction never goes below it.
    public var floors: [Double]

    /// Creates prices.
    public init(
        hourly: [Double], cap: TimeInterval, minimum: TimeInterval, budgetRatio: Double = 1, expectedCalls: [Double] = [],
        floors: [Double] = []
    ) {
        self.expectedCalls = expectedCalls
        self.floors = floors
        self.hourly = hourly
        self.cap = cap
        self.minimum = minimum
        self.budgetRatio = budgetRatio
    }

    /// The prices of an account planned on its own (no daemon-wide budget known yet): an
    /// account at the prior rate gets `interval`, busier ones less, quieter ones more.
    public static func standalone(interval: Duration, limits: ScheduleMode.AdaptiveLimits) -> SchedulePrices {
        let limits = limits.fitted(to: interval)
        let prior = PostingRhythm.priorPosts / PostingRhythm.priorHours
        let price = interval.seconds / 3_600 * prior.squareRoot()
        return SchedulePrices(
            hourly: Array(repeating: price, count: HourOfWeek.count), cap: limits.maxInterval.seconds,
            minimum: limits.minInterval.seconds)
    }

    /// The same prices, `factor` times as high (fewer calls).
    func scaled(by factor: Double) -> SchedulePrices {
        guard factor != 1 else { return self }
        var scaled = self
        scaled.hourly = hourly.indices.map { hour in
            max(hourly[hour] * factor, floors.indices.contains(hour) ? floors[hour] : 0)
        }
        return scaled
    }

    /// Syncs per hour for an account worth `rate` posts per hour in `hour`.
    func syncsPerHour(rate: Double, hour: Int) -> Double {
        let wanted = rate.squareRoot() / hourly[hour]
        return min(max(wanted, 3_600 / cap), 3_600 / minimum)
    }
}
