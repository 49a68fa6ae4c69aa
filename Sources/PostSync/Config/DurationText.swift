/// Durations as the config file and the command line write them: a number and a unit, `500ms`,
/// `30s`, `15m`, `6h`, `7d`, optionally with a fraction (`1.5h`). Nanosecond precision.
public enum DurationText {
    /// The units, largest first (the order `format` tries them in), in nanoseconds.
    private static let units: [(name: String, nanoseconds: Int64)] = [
        ("d", 86_400 * 1_000_000_000),
        ("h", 3_600 * 1_000_000_000),
        ("m", 60 * 1_000_000_000),
        ("s", 1_000_000_000),
        ("ms", 1_000_000),
    ]

    /// Parses `<digits>[.<digits>]<unit>` with unit `ms`, `s`, `m`, `h` or `d`. Zero is accepted
    /// (whether zero makes sense is up to the caller); signs, spaces, a missing unit, or a
    /// fraction finer than a nanosecond give nil.
    public static func parse(_ text: String) -> Duration? {
        // Split at the first letter: everything before is the number, everything after the unit.
        guard let unitStart = text.firstIndex(where: { $0.isLetter }) else { return nil }
        let number = text[..<unitStart]
        let unitName = text[unitStart...]
        guard let unit = units.first(where: { $0.name == unitName })?.nanoseconds else { return nil }

        let parts = number.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts[0]
        let fraction = parts.count > 1 ? parts[1] : ""
        // `1.` and `.5` are typos more often than intent; insist on digits on both sides.
        guard isDigits(whole), parts.count == 1 || isDigits(fraction) else { return nil }
        guard let wholeValue = Int64(whole) else { return nil }

        // The fraction is exact as long as the unit is a multiple of 10^digits nanoseconds,
        // which also bounds the product below the unit (no overflow).
        var fractionNanoseconds: Int64 = 0
        if !fraction.isEmpty {
            guard fraction.count <= 9, let fractionValue = Int64(fraction) else { return nil }
            var scale: Int64 = 1
            for _ in 0..<fraction.count { scale *= 10 }
            guard unit % scale == 0 else { return nil }
            fractionNanoseconds = fractionValue * (unit / scale)
        }

        let (product, productOverflow) = wholeValue.multipliedReportingOverflow(by: unit)
        guard !productOverflow else { return nil }
        let (total, sumOverflow) = product.addingReportingOverflow(fractionNanoseconds)
        guard !sumOverflow else { return nil }
        return .nanoseconds(total)
    }

    /// Formats a duration in the largest unit that represents it exactly (`90s`, not `1.5m`),
    /// falling back to fractional milliseconds (`1.5ms`). `parse(format(d)) == d` for every
    /// non-negative duration with nanosecond precision.
    public static func format(_ duration: Duration) -> String {
        if duration < .zero {
            return "-" + format(.zero - duration)
        }
        let (seconds, attoseconds) = duration.components
        let (secondsInNanoseconds, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (nanoseconds, sumOverflow) = secondsInNanoseconds.addingReportingOverflow(attoseconds / 1_000_000_000)
        // Beyond ~292 years nanoseconds overflow Int64; whole seconds are precise enough there.
        guard !overflow, !sumOverflow else { return "\(seconds)s" }
        if nanoseconds == 0 { return "0s" }

        for unit in units where nanoseconds % unit.nanoseconds == 0 {
            return "\(nanoseconds / unit.nanoseconds)\(unit.name)"
        }
        let millisecond: Int64 = 1_000_000
        var fraction = String(nanoseconds % millisecond)
        fraction = String(repeating: "0", count: 6 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(nanoseconds / millisecond).\(fraction)ms"
    }

    /// True when `text` is one or more ASCII digits.
    private static func isDigits(_ text: Substring) -> Bool {
        !text.isEmpty && text.allSatisfy { $0.isASCII && $0.isNumber }
    }
}
