import Foundation

/// One platform's call budget across all its accounts (CONTRACT section 12), pure: it keeps, for
/// each hour of the week, how many accounts are worth syncing at which rate (a histogram over 128
/// logarithmic rate classes), and turns that into the `SchedulePrices` that spend the calls the
/// budget allows, no more.
///
/// The calls: `interval`'s worth (accounts ÷ interval per hour, so the mean period stays
/// `interval`), or fewer when the platform's limit × `budget` is lower (TikTok's 600 list calls a
/// minute). Every hour stays under that limit: a busy evening is priced up rather than queued
/// behind the limiter. When the limit cannot give every account even `max_interval`, the quiet
/// accounts give way first: the longest interval stretches until they take half of the calls.
public struct ScheduleBudget: Sendable, Equatable {
    static let classes = 128
    static let lowestLog10 = -5.0
    static let highestLog10 = 1.0

    /// One account's place in the histogram.
    struct Member: Sendable, Equatable {
        /// Its rate class per hour of the week, to take it out again exactly.
        var classes: [UInt8]
        /// The newest publication it had seen, and when it was put in.
        var newest: Date?
        var at: Date
    }

    /// How long an account's place stands while it sees no new post (its rates only decay).
    static let refreshEvery: TimeInterval = 6 * 3_600

    /// Account-hours per (hour of the week, rate class).
    private var histogram: [Double]
    private var members: [AccountID: Member] = [:]

    /// An empty budget.
    public init() {
        histogram = Array(repeating: 0, count: HourOfWeek.count * Self.classes)
    }

    /// Accounts planned for.
    public var accounts: Int { members.count }

    /// Puts an account in with what it has learned, or moves it. Cheap when nothing new was
    /// learned: the place is recomputed only after a new post or every `refreshEvery`.
    public mutating func update(_ id: AccountID, rhythm: PostingRhythm, now: Date) {
        if let old = members[id], old.newest == rhythm.newest, abs(now.timeIntervalSince(old.at)) < Self.refreshEvery {
            return
        }
        let classes = rhythm.weeklyRates().map(Self.rateClass)
        if let old = members[id], old.classes != classes {
            for hour in 0..<HourOfWeek.count { histogram[hour * Self.classes + Int(old.classes[hour])] -= 1 }
        }
        if members[id]?.classes != classes {
            for hour in 0..<HourOfWeek.count { histogram[hour * Self.classes + Int(classes[hour])] += 1 }
        }
        members[id] = Member(classes: classes, newest: rhythm.newest, at: now)
    }

    /// Takes an account out (paused, needs a new token, removed).
    public mutating func remove(_ id: AccountID) {
        guard let old = members.removeValue(forKey: id) else { return }
        for hour in 0..<HourOfWeek.count { histogram[hour * Self.classes + Int(old.classes[hour])] -= 1 }
    }

    /// The prices that spend the budget.
    /// - Parameters:
    ///   - interval: `sync.interval`, the mean period while the budget allows it.
    ///   - limits: `min_interval`, `max_interval`, `budget`.
    ///   - callsPerMinute: The platform's limit on sync calls per minute (nil: none that counts
    ///     calls, as for Meta, whose limits are per account and enforced from the usage headers).
    public func prices(
        interval: Duration, limits: ScheduleMode.AdaptiveLimits, callsPerMinute: Int?
    ) -> SchedulePrices {
        let count = Double(accounts)
        guard count > 0 else { return .standalone(interval: interval, limits: limits) }
        let limits = limits.fitted(to: interval)
        let minimum = limits.minInterval.seconds / 3_600
        var cap = max(limits.maxInterval.seconds / 3_600, minimum)
        let demand = count / (interval.seconds / 3_600)
        var target = demand
        var hardLimit = Double.infinity
        if let callsPerMinute {
            hardLimit = Double(callsPerMinute) * 60 * limits.budget
            target = min(target, hardLimit)
            if count / cap > hardLimit { cap = 2 * count / hardLimit }
        }

        // Each hour's occupied rate classes only (accounts cluster in a few of the 128).
        let centre = Self.centre
        var occupied: [[(rate: Double, accounts: Double)]] = Array(repeating: [], count: HourOfWeek.count)
        for hour in 0..<HourOfWeek.count {
            let base = hour * Self.classes
            for rateClass in 0..<Self.classes where histogram[base + rateClass] > 0 {
                occupied[hour].append((centre[rateClass], histogram[base + rateClass]))
            }
        }
        let (lowest, highest) = (1 / cap, 1 / minimum)
        func calls(hour: Int, price: Double) -> Double {
            var sum = 0.0
            for entry in occupied[hour] { sum += entry.accounts * min(max(entry.rate / price, lowest), highest) }
            return sum
        }
        /// The price at which `calls` falls to `goal` (calls fall as the price rises).
        func solve(_ goal: Double, _ calls: (Double) -> Double) -> Double {
            var low = -8.0
            var high = 6.0
            for _ in 0..<36 {
                let middle = (low + high) / 2
                if calls(pow(10, middle)) > goal { low = middle } else { high = middle }
            }
            return pow(10, high)
        }
        // The lowest price each hour may have without going over the platform's limit.
        let floors = (0..<HourOfWeek.count).map { hour in
            hardLimit.isFinite && calls(hour: hour, price: 1e-8) > hardLimit
                ? solve(hardLimit) { calls(hour: hour, price: $0) } : 0
        }
        let weekly = solve(target * Double(HourOfWeek.count)) { price in
            (0..<HourOfWeek.count).reduce(0) { $0 + calls(hour: $1, price: max(price, floors[$1])) }
        }
        let hourly = floors.map { max($0, weekly) }
        return SchedulePrices(
            hourly: hourly, cap: cap * 3_600, minimum: minimum * 3_600, budgetRatio: min(1, target / demand),
            expectedCalls: (0..<HourOfWeek.count).map { calls(hour: $0, price: hourly[$0]) }, floors: floors)
    }

    /// The rate class of a rate (posts per hour).
    static func rateClass(_ rate: Double) -> UInt8 {
        guard rate > 0 else { return 0 }
        let position = (log10(rate) - lowestLog10) / (highestLog10 - lowestLog10) * Double(classes)
        return UInt8(min(max(position.rounded(.down), 0), Double(classes - 1)))
    }

    /// √rate at the middle of each class.
    static let centre: [Double] = (0..<classes).map { rateClass in
        pow(10, lowestLog10 + (highestLog10 - lowestLog10) * (Double(rateClass) + 0.5) / Double(classes)).squareRoot()
    }
}
