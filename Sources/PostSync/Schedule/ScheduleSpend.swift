import Foundation

/// What one platform's syncs actually cost against what the prices expected, over the last
/// hours, pure: the learned rates do not see the short-lived parts of an account's worth (bursts,
/// webhook hints, young posts), nor syncs a webhook or an operator asked for, so the board
/// corrects its prices by the ratio of the two, slowly, until the calls are what the budget
/// allows.
public struct ScheduleSpend: Sendable, Equatable {
    /// Hours of history compared.
    static let window = 6
    /// Fewer hours than this are not compared yet.
    static let minimumHours = 2
    /// How much of the measured ratio one hour applies: a quarter (in log terms), since the
    /// window still holds hours planned at the old factor.
    static let gain = 0.25
    static let factorRange = 0.25...4.0

    /// The factor the prices are multiplied by (above 1: fewer calls than the learned rates ask).
    public private(set) var factor = 1.0
    /// Calls seen and expected per hour, newest last; the last one is the current hour.
    private var seen: [Int] = []
    private var expected: [Double] = []
    private var currentHour: Int64?

    /// Nothing seen yet.
    public init() {}

    /// Counts one sync at `now`; `expectedCalls` is what the (unscaled) prices expect per hour.
    public mutating func record(at now: Date, expectedCalls: [Double]) {
        roll(to: now, expectedCalls: expectedCalls)
        if !seen.isEmpty { seen[seen.count - 1] += 1 }
    }

    /// Moves the window to the hour of `now`, correcting the factor with every hour that ended.
    public mutating func roll(to now: Date, expectedCalls: [Double]) {
        let hour = Int64((now.timeIntervalSince1970 / 3_600).rounded(.down))
        guard let current = currentHour else {
            currentHour = hour
            open(at: now, expectedCalls: expectedCalls)
            return
        }
        guard hour > current else { return }
        // A long pause (or a clock jump) starts afresh rather than counting empty hours.
        if hour - current > Int64(Self.window) {
            seen = []
            expected = []
        } else {
            for _ in 0..<Int(hour - current) {
                correct()
                open(at: now, expectedCalls: expectedCalls)
            }
        }
        if seen.isEmpty { open(at: now, expectedCalls: expectedCalls) }
        currentHour = hour
    }

    private mutating func open(at now: Date, expectedCalls: [Double]) {
        guard expectedCalls.count == HourOfWeek.count else { return }
        seen.append(0)
        expected.append(expectedCalls[HourOfWeek.of(now)])
        if seen.count > Self.window + 1 {
            seen.removeFirst()
            expected.removeFirst()
        }
    }

    /// Compares the finished hours (not the current one) and moves the factor.
    private mutating func correct() {
        // Hours without a single sync (a database outage, a stopped daemon) say nothing about
        // what the plan costs, so only hours that saw syncs are compared.
        guard seen.count > 1 else { return }
        let finished = (0..<(seen.count - 1)).filter { seen[$0] > 0 }
        guard finished.count >= Self.minimumHours else { return }
        let actual = Double(finished.reduce(0) { $0 + seen[$1] })
        let wanted = finished.reduce(0.0) { $0 + expected[$1] }
        guard actual > 0, wanted > 0 else { return }
        let ratio = actual / wanted
        factor = min(max(factor * pow(ratio, Self.gain), Self.factorRange.lowerBound), Self.factorRange.upperBound)
    }
}
