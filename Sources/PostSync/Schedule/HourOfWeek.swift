import Foundation

/// The hour of the week an instant falls in, in UTC: 0 is Monday 00:00–01:00, 167 is Sunday
/// 23:00–24:00. An account's own time zone does not matter: its habits land in the same UTC
/// hours every week, and that is all the schedule needs to know.
public enum HourOfWeek {
    /// Hours in a week.
    public static let count = 168

    /// The hour of the week of `date`.
    public static func of(_ date: Date) -> Int {
        // 1970-01-01 was a Thursday: Monday 00:00 came 72 hours earlier.
        let hours = Int((date.timeIntervalSince1970 / 3600).rounded(.down)) + 72
        return ((hours % count) + count) % count
    }

    /// The start of the next hour after `date`.
    public static func nextBoundary(after date: Date) -> Date {
        Date(timeIntervalSince1970: ((date.timeIntervalSince1970 / 3600).rounded(.down) + 1) * 3600)
    }
}
