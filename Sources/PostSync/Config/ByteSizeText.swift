/// Sizes as the config file writes them: an integer with an optional `KiB`, `MiB` or `GiB`
/// (`1MiB`, `64MiB`, `512 KiB`); a plain integer is bytes.
public enum ByteSizeText {
    /// The suffixes, largest first (the order `format` tries them in).
    private static let units: [(name: String, bytes: Int64)] = [
        ("GiB", 1 << 30),
        ("MiB", 1 << 20),
        ("KiB", 1 << 10),
    ]

    /// Parses `<digits>[ ]<unit>?`. Zero is accepted (the caller decides whether it makes sense);
    /// signs, fractions, other units (`MB`, `k`) and overflow give nil.
    public static func parse(_ text: String) -> Int64? {
        var number = Substring(text)
        var multiplier: Int64 = 1
        if let unit = units.first(where: { text.hasSuffix($0.name) }) {
            number = number.dropLast(unit.name.count)
            multiplier = unit.bytes
            // `512 KiB` reads naturally; allow one space before the unit.
            if number.hasSuffix(" ") { number = number.dropLast() }
        }
        guard !number.isEmpty, number.allSatisfy({ $0.isASCII && $0.isNumber }),
            let value = Int64(number)
        else { return nil }
        let (bytes, overflow) = value.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : bytes
    }

    /// Formats a size in the largest unit that represents it exactly (`1MiB`, `1536KiB`, `100`).
    public static func format(_ bytes: Int64) -> String {
        for unit in units where bytes != 0 && bytes % unit.bytes == 0 {
            return "\(bytes / unit.bytes)\(unit.name)"
        }
        return "\(bytes)"
    }
}
