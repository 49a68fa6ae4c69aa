import Foundation

/// The adaptive schedule's decision (CONTRACT section 12), pure: given what was learned about an
/// account, the prices of the coming hours and `now`, when its next sync is due.
///
/// The next sync comes when the syncs the account is worth since `now` add up to one: its rate
/// is integrated over the coming hours (each quarter of an hour at its midpoint, so an evening
/// habit or a fading burst pulls the sync earlier). One draw of jitter then stretches or shrinks
/// the interval, so accounts with the same rhythm do not wake in the same second.
public enum AdaptivePlanner {
    /// The interval from `now` to the next sync, in seconds, within `prices.minimum … prices.cap`.
    public static func interval(
        rhythm: PostingRhythm, now: Date, prices: SchedulePrices, jitter: Double,
        random: inout some RandomNumberGenerator
    ) -> TimeInterval {
        let stretch = jitter > 0 ? 1 + Double.random(in: -jitter...jitter, using: &random) : 1
        let weekly = rhythm.weeklyRates()
        let end = now.addingTimeInterval(prices.cap)
        var accumulated = 0.0
        var t = now
        while t < end {
            let segmentEnd = min(HourOfWeek.nextBoundary(after: t), t.addingTimeInterval(900), end)
            let length = segmentEnd.timeIntervalSince(t)
            let middle = t.addingTimeInterval(length / 2)
            let perSecond =
                prices.syncsPerHour(rate: rhythm.rate(at: middle, weekly: weekly), hour: HourOfWeek.of(middle)) / 3_600
            let needed = (1 - accumulated) / perSecond
            if needed <= length {
                let interval = t.addingTimeInterval(needed).timeIntervalSince(now) * stretch
                return min(max(interval, prices.minimum), prices.cap)
            }
            accumulated += perSecond * length
            t = segmentEnd
        }
        return prices.cap
    }
}
