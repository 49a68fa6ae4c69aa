import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// RFC 3339 UTC timestamps with milliseconds (`2026-11-29T01:02:03.456Z`), the one format of every
/// timestamp `postsync` writes (CONTRACT section 1). Hand-written over `timegm`/`gmtime_r`: the
/// daemon formats and parses several per stored post, and Foundation's parsers cost about a
/// microsecond (`Date.ISO8601FormatStyle`) to fifty (`ISO8601DateFormatter`) each; the figures
/// come from `scripts/bench-timestamp.sh`.
public enum Timestamp {
    /// Formats a date as `yyyy-MM-ddTHH:mm:ss.SSSZ` in UTC (rounded to the millisecond).
    public static func format(_ date: Date) -> String {
        let totalMilliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        var seconds = time_t(totalMilliseconds.floorDivided(by: 1000))
        let milliseconds = Int(totalMilliseconds - Int64(seconds) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let year = Int(parts.tm_year) + 1900
        let fourDigits = (0...9999).contains(year)
        // Written into the string's own storage: building it from pieces cost more than the
        // `gmtime_r` call (see scripts/bench-timestamp.sh).
        let text = String(unsafeUninitializedCapacity: 24) { out in
            put(fourDigits ? year : 0, width: 4, at: 0, in: out)
            out[4] = UInt8(ascii: "-")
            put(Int(parts.tm_mon) + 1, width: 2, at: 5, in: out)
            out[7] = UInt8(ascii: "-")
            put(Int(parts.tm_mday), width: 2, at: 8, in: out)
            out[10] = UInt8(ascii: "T")
            put(Int(parts.tm_hour), width: 2, at: 11, in: out)
            out[13] = UInt8(ascii: ":")
            put(Int(parts.tm_min), width: 2, at: 14, in: out)
            out[16] = UInt8(ascii: ":")
            put(Int(parts.tm_sec), width: 2, at: 17, in: out)
            out[19] = UInt8(ascii: ".")
            put(milliseconds, width: 3, at: 20, in: out)
            out[23] = UInt8(ascii: "Z")
            return 24
        }
        // Years without four digits never occur in data; they get the plain number rather than a
        // wrong date.
        return fourDigits ? text : String(year) + text.dropFirst(4)
    }

    /// Parses RFC 3339 / ISO 8601 `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM|±HHMM)` (Instagram sends
    /// `+0000`, without the colon). Returns nil when the text is not such a timestamp, including a
    /// day the month does not have (`2021-02-29`).
    public static func parse(_ text: String) -> Date? {
        var text = text
        // `withUTF8` reads a native string in place (no copy), which keeps the parser at about a
        // tenth of a microsecond.
        return text.withUTF8(parse(utf8:))
    }

    private static func parse(utf8: UnsafeBufferPointer<UInt8>) -> Date? {
        guard utf8.count >= 20 else { return nil }
        let separator = utf8[10]
        guard utf8[4] == UInt8(ascii: "-"), utf8[7] == UInt8(ascii: "-"),
            separator == UInt8(ascii: "T") || separator == UInt8(ascii: "t") || separator == UInt8(ascii: " "),
            utf8[13] == UInt8(ascii: ":"), utf8[16] == UInt8(ascii: ":"),
            let year = number(utf8, 0, 4), let month = number(utf8, 5, 2), let day = number(utf8, 8, 2),
            let hour = number(utf8, 11, 2), let minute = number(utf8, 14, 2), let second = number(utf8, 17, 2),
            (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
            hour < 24, minute < 60, second < 61
        else { return nil }
        var index = 19
        var fraction = 0.0
        if index < utf8.count, utf8[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            let start = index
            while index < utf8.count, let digit = digit(utf8[index]) {
                fraction += Double(digit) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        guard index < utf8.count else { return nil }
        var offset = 0
        switch utf8[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard index + 1 == utf8.count else { return nil }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let sign = utf8[index] == UInt8(ascii: "-") ? -1 : 1
            let rest = utf8.count - index - 1
            guard let hours = number(utf8, index + 1, 2) else { return nil }
            let minutes: Int?
            if rest == 5, utf8[index + 3] == UInt8(ascii: ":") {
                minutes = number(utf8, index + 4, 2)
            } else if rest == 4 {
                minutes = number(utf8, index + 3, 2)
            } else {
                return nil
            }
            guard let minutes, hours < 24, minutes < 60 else { return nil }
            offset = sign * (hours * 3600 + minutes * 60)
        default:
            return nil
        }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let seconds = timegm(&parts)
        return Date(timeIntervalSince1970: TimeInterval(Int(seconds) - offset) + fraction)
    }

    /// Days in `month` (1–12) of `year` in the proleptic Gregorian calendar. `timegm` would roll
    /// 31 February over into March instead of refusing it.
    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    private static func digit(_ byte: UInt8) -> Int? {
        byte >= 48 && byte <= 57 ? Int(byte - 48) : nil
    }

    private static func number(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ length: Int) -> Int? {
        guard start + length <= bytes.count else { return nil }
        var value = 0
        for index in start..<(start + length) {
            guard let digit = digit(bytes[index]) else { return nil }
            value = value * 10 + digit
        }
        return value
    }

    /// Writes `value` (non-negative, at most `width` digits) zero-padded at `start`.
    private static func put(_ value: Int, width: Int, at start: Int, in out: UnsafeMutableBufferPointer<UInt8>) {
        var rest = value
        for index in stride(from: start + width - 1, through: start, by: -1) {
            out[index] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
        }
    }
}

extension Int64 {
    /// Division rounding toward negative infinity (dates before 1970 stay correct).
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}

/// Encodes and decodes `Date` as `Timestamp` strings in JSON.
public enum JSONCoding {
    /// A JSON encoder with RFC 3339 millisecond dates.
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.format(date))
        }
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }

    /// A JSON decoder that reads `Timestamp` strings.
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = Timestamp.parse(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an RFC 3339 timestamp: \(text)")
            }
            return date
        }
        return decoder
    }
}
