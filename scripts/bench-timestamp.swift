// The benchmark behind `Timestamp`'s hand-written parser and formatter: formats and parses per
// second of `Timestamp` against Foundation's `ISO8601DateFormatter` and `Date.ISO8601FormatStyle`,
// both with fractional seconds. `scripts/bench-timestamp.sh` compiles this file together with
// `Sources/PostSync/Support/Timestamp.swift` (no package build) and runs it.
import Foundation

/// One contender: a name and its two operations.
struct Contender {
    /// The name printed in the table.
    var name: String
    /// Formats a date.
    var format: (Date) -> String
    /// Parses a timestamp.
    var parse: (String) -> Date?
}

/// Runs the contenders over the same inputs and prints one table.
@main
enum TimestampBench {
    static func main() {
        let iterations = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 200_000 : 200_000
        // A spread of instants over 2000–2036 with millisecond fractions; SplitMix64 so that every run
        // measures the same inputs.
        var seed: UInt64 = 42
        let dates: [Date] = (0..<1024).map { _ in
            seed &+= 0x9E37_79B9_7F4A_7C15
            var z = seed
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            let milliseconds = 946_684_800_000 + Int64(z % 1_150_000_000_000)
            return Date(timeIntervalSince1970: TimeInterval(milliseconds) / 1000)
        }
        let texts = dates.map(Timestamp.format)

        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        let contenders = [
            Contender(name: "Timestamp (hand-written)", format: Timestamp.format, parse: Timestamp.parse),
            Contender(name: "ISO8601DateFormatter", format: formatter.string(from:), parse: formatter.date(from:)),
            Contender(name: "Date.ISO8601FormatStyle", format: style.format, parse: { try? style.parse($0) }),
        ]

        // Every contender must agree on the inputs, or the figures compare nothing. To the millisecond:
        // the parsers sum the fraction differently, and the format style truncates where `Timestamp`
        // rounds.
        for contender in contenders {
            for (date, text) in zip(dates, texts) {
                let parsed = contender.parse(text)?.timeIntervalSince1970 ?? .nan
                let formatted = Timestamp.parse(contender.format(date))?.timeIntervalSince1970 ?? .nan
                guard abs(parsed - date.timeIntervalSince1970) < 0.0005, abs(formatted - date.timeIntervalSince1970) < 0.0011
                else {
                    print(
                        "\(contender.name) disagrees on \(text): \(contender.format(date)), \(String(describing: contender.parse(text)))"
                    )
                    exit(1)
                }
            }
        }

        print("iterations: \(iterations) of each operation, \(dates.count) distinct timestamps")
        print(pad("implementation", 26) + pad("formats/s", 14) + pad("parses/s", 14) + "format ns  parse ns")
        var baseline: (format: Double, parse: Double)?
        for contender in contenders {
            var sink = 0
            let format = rate(iterations) { i in sink &+= contender.format(dates[i & 1023]).utf8.count }
            let parse = rate(iterations) { i in
                sink &+= Int(contender.parse(texts[i & 1023])?.timeIntervalSince1970 ?? 0)
            }
            var line = pad(contender.name, 26) + pad(thousands(format), 14) + pad(thousands(parse), 14)
            line += pad(String(Int(1e9 / format)), 11) + String(Int(1e9 / parse))
            if let baseline {
                line += String(format: "   Timestamp %.1fx / %.1fx as fast", baseline.format / format, baseline.parse / parse)
            } else {
                baseline = (format, parse)
            }
            print(line)
            if sink == 42 { print("") }  // Keeps the optimizer from dropping the work.
        }
    }

    /// Operations per second of `body` over `iterations` calls, after a short warm-up.
    static func rate(_ iterations: Int, _ body: (Int) -> Void) -> Double {
        for i in 0..<min(iterations, 10_000) { body(i) }
        let clock = ContinuousClock()
        let elapsed = clock.measure { for i in 0..<iterations { body(i) } }
        let (seconds, attoseconds) = elapsed.components
        return Double(iterations) / (Double(seconds) + Double(attoseconds) / 1e18)
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }

    static func thousands(_ value: Double) -> String {
        var digits = String(Int(value.rounded()))
        var index = digits.endIndex
        while digits.distance(from: digits.startIndex, to: index) > 3 {
            index = digits.index(index, offsetBy: -3)
            digits.insert(",", at: index)
        }
        return digits
    }
}
