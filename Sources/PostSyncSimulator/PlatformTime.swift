import Foundation

/// The date formats the two platforms write, produced without shared formatter state.
enum PlatformTime {
    /// Drops fractional seconds: platform timestamps and token lifetimes are whole seconds, and
    /// whole-second dates survive the ISO 8601 round trip of the admin API unchanged.
    static func wholeSeconds(_ date: Date) -> Date {
        Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))
    }

    /// Unix seconds of a date.
    static func unixSeconds(_ date: Date) -> Int {
        Int(date.timeIntervalSince1970.rounded(.down))
    }

    /// Instagram's `timestamp` format, `2021-08-13T08:25:28+0000` (no colon in the offset).
    static func instagramTimestamp(_ date: Date) -> String {
        let parts = components(date)
        return "\(pad(parts.year, 4))-\(pad(parts.month, 2))-\(pad(parts.day, 2))T"
            + "\(pad(parts.hour, 2)):\(pad(parts.minute, 2)):\(pad(parts.second, 2))+0000"
    }

    /// The date style of Meta's "Session has expired on Sunday, 09-Aug-20 01:30:58 PDT" message (in UTC here).
    static func metaSessionText(_ date: Date) -> String {
        let parts = components(date)
        let weekdays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let weekday = weekdays[(parts.weekday - 1 + 7) % 7]
        let month = months[(parts.month - 1 + 12) % 12]
        return "\(weekday), \(pad(parts.day, 2))-\(month)-\(pad(parts.year % 100, 2)) "
            + "\(pad(parts.hour, 2)):\(pad(parts.minute, 2)):\(pad(parts.second, 2)) UTC"
    }

    /// `yyyyMMddHHmmss`, the prefix of TikTok `log_id`s (`20220829194722CBE87ED59D524E727021`).
    static func logIdPrefix(_ date: Date) -> String {
        let parts = components(date)
        return "\(pad(parts.year, 4))\(pad(parts.month, 2))\(pad(parts.day, 2))"
            + "\(pad(parts.hour, 2))\(pad(parts.minute, 2))\(pad(parts.second, 2))"
    }

    /// Zero-pads a non-negative number to `width` digits.
    static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    private struct Parts {
        var year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, weekday: Int
    }

    private static func components(_ date: Date) -> Parts {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0) ?? calendar.timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        return Parts(
            year: parts.year ?? 1970,
            month: parts.month ?? 1,
            day: parts.day ?? 1,
            hour: parts.hour ?? 0,
            minute: parts.minute ?? 0,
            second: parts.second ?? 0,
            weekday: parts.weekday ?? 1
        )
    }
}
