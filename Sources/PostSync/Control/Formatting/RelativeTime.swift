import Foundation

/// Times as people read them in a terminal: `4m ago`, `in 11m`, `3h 2m`, `58d`, and local wall
/// clock times `2026-11-29 01:02`. Every function takes `now` (or a time zone) explicitly, so
/// output is testable.
public enum RelativeTime {
    /// A length of time, coarsened to at most two units: `45s`, `4m`, `3h 2m`, `2d 4h`, `58d`.
    /// Rounds down; negative lengths are formatted as their absolute value.
    public static func duration(_ interval: TimeInterval) -> String {
        let seconds = Int(abs(interval).rounded(.down))
        let minutes = seconds / 60
        let hours = minutes / 60
        let days = hours / 24
        if seconds < 60 { return "\(seconds)s" }
        if minutes < 60 { return "\(minutes)m" }
        if hours < 24 { return minutes % 60 == 0 ? "\(hours)h" : "\(hours)h \(minutes % 60)m" }
        // Beyond a week the hours are noise next to the days.
        if days < 7 { return hours % 24 == 0 ? "\(days)d" : "\(days)d \(hours % 24)h" }
        return "\(days)d"
    }

    /// `date` relative to `now`: `just now` (the last 10 s), `4m ago`, `now` (within a second
    /// ahead), `in 11m`.
    public static func describe(_ date: Date, now: Date) -> String {
        let delta = date.timeIntervalSince(now)
        if delta <= 0 {
            return -delta < 10 ? "just now" : "\(duration(delta)) ago"
        }
        return delta < 1 ? "now" : "in \(duration(delta))"
    }

    /// `2026-11-29 01:02` in `timeZone`.
    public static func localMinute(_ date: Date, timeZone: TimeZone = .current) -> String {
        let c = components(date, timeZone: timeZone)
        return "\(pad(c.year, 4))-\(pad(c.month))-\(pad(c.day)) \(pad(c.hour)):\(pad(c.minute))"
    }

    /// `2026-11-29 01:02:03` in `timeZone`.
    public static func localSecond(_ date: Date, timeZone: TimeZone = .current) -> String {
        let c = components(date, timeZone: timeZone)
        return "\(pad(c.year, 4))-\(pad(c.month))-\(pad(c.day)) \(pad(c.hour)):\(pad(c.minute)):\(pad(c.second))"
    }

    /// A `--since` argument: an RFC 3339 timestamp, or a duration (`30m`, `2h`, `7d`) meaning
    /// that long before `now`. Nil when it is neither.
    public static func parseSince(_ text: String, now: Date) -> Date? {
        if let date = Timestamp.parse(text) { return date }
        guard let duration = DurationText.parse(text) else { return nil }
        let (seconds, attoseconds) = duration.components
        return now.addingTimeInterval(-(Double(seconds) + Double(attoseconds) / 1e18))
    }

    private static func components(_ date: Date, timeZone: TimeZone) -> DateComponents {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
    }

    private static func pad(_ value: Int?, _ width: Int = 2) -> String {
        let text = String(value ?? 0)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}
