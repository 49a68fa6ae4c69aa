import Foundation

/// RFC 3339 UTC timestamps with milliseconds (`2026-11-29T01:02:03.456Z`), the one format of every
/// timestamp `postsync` writes (CONTRACT section 1).
public enum Timestamp {
    /// Formats a date as `yyyy-MM-ddTHH:mm:ss.SSSZ` in UTC.
    public static func format(_ date: Date) -> String {
        date.formatted(style)
    }

    /// Parses RFC 3339 with or without fractional seconds, `Z` or a numeric offset (with or without
    /// a colon, as Instagram sends `+0000`). Returns nil when the text is not a timestamp.
    public static func parse(_ text: String) -> Date? {
        if let date = try? style.parse(text) { return date }
        if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: false).parse(text) { return date }
        // Instagram: 2021-08-13T08:25:28+0000 (offset without a colon).
        var normalized = text
        if let plus = text.lastIndex(where: { $0 == "+" || $0 == "-" }), text.distance(from: plus, to: text.endIndex) == 5,
           text.contains("T") {
            normalized.insert(":", at: text.index(plus, offsetBy: 3))
            if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: false).parse(normalized) { return date }
            if let date = try? style.parse(normalized) { return date }
        }
        return nil
    }

    private static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
}

/// Encodes and decodes `Date` as `Timestamp` strings in JSON.
public enum JSONCoding {
    /// A JSON encoder with RFC 3339 millisecond dates and sorted-free compact output.
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
