import Foundation
import PostSync

/// One simulated account: when it publishes (seconds since 1970, sorted).
struct SimulatedAccount {
    var id: AccountID
    var posts: [Double]
}

/// The benchmark's posting histories, seeded so that every run compares the same posts.
enum Workload {
    /// Accounts whose rates and habits differ the way real ones do: a few post several times a
    /// day, most a few times a week, some almost never; each has preferred hours in its own time
    /// zone, a weekday/weekend difference, and occasional bursts.
    static func patterned(accounts: Int, from start: Double, to end: Double, seed: UInt64, platform: Platform)
        -> [SimulatedAccount]
    {
        var random = SplitMix64(seed: seed)
        let zones: [Double] = [-8, -7, -6, -5, -4, -3, 0, 0, 1, 1, 1, 2, 3, 4, 5.5, 7, 8, 9, 10]
        let habits: [(centre: Double, weight: Double)] = [
            (7.5, 1), (8.5, 1), (12.5, 2), (13, 1), (17.5, 2), (18.5, 3), (19.5, 3), (20.5, 3), (21.5, 2), (22.5, 1),
        ]
        return (0..<accounts).map { index in
            let kind = Double.random(in: 0..<1, using: &random)
            let perDay: Double
            switch kind {
            case ..<0.04: perDay = Double.random(in: 2...8, using: &random)  // several a day
            case ..<0.50: perDay = Double.random(in: 2...7, using: &random) / 7  // a few a week
            case ..<0.85: perDay = Double.random(in: 0.5...2, using: &random) / 7  // now and then
            default: perDay = Double.random(in: 0.02...0.3, using: &random) / 7  // almost never
            }
            let zone = zones[Int.random(in: 0..<zones.count, using: &random)] * 3_600
            let windows = (0..<Int.random(in: 1...3, using: &random)).map { _ in
                let habit = habits.weightedPick(using: &random)
                return (
                    centre: habit.centre + Double.random(in: -0.5...0.5, using: &random),
                    width: Double.random(in: 0.3...1.2, using: &random)
                )
            }
            let weekend = Double.random(in: 0.4...1.6, using: &random)
            var posts: [Double] = []
            var day = (start / 86_400).rounded(.down) * 86_400
            while day < end {
                let localDay = Int(((day + zone) / 86_400).rounded(.down))
                // 1970-01-01 was a Thursday: day 2 and 3 of the week (0-based from Thursday) are the weekend.
                let weekday = ((localDay % 7) + 7) % 7
                let factor = weekday == 2 || weekday == 3 ? weekend : 1
                for _ in 0..<poisson(perDay * factor, using: &random) {
                    // Most posts at a habit, some at any hour.
                    let hour =
                        Double.random(in: 0..<1, using: &random) < 0.15
                        ? Double.random(in: 0..<24, using: &random)
                        : gaussian(windows[Int.random(in: 0..<windows.count, using: &random)], using: &random)
                    var at = day + hour * 3_600 - zone
                    posts.append(at)
                    // An occasional burst: a few more within the hour.
                    if Double.random(in: 0..<1, using: &random) < 0.06 {
                        for _ in 0..<Int.random(in: 1...3, using: &random) {
                            at += Double.random(in: 300...2_400, using: &random)
                            posts.append(at)
                        }
                    }
                }
                day += 86_400
            }
            return SimulatedAccount(
                id: AccountID(platform: platform, externalID: "a\(index)"),
                posts: posts.filter { $0 >= start && $0 < end }.sorted())
        }
    }

    /// The control: as many accounts, every one posting as a Poisson process at one rate, with
    /// no daily pattern.
    static func poisson(accounts: Int, perDay: Double, from start: Double, to end: Double, seed: UInt64)
        -> [SimulatedAccount]
    {
        var random = SplitMix64(seed: seed)
        return (0..<accounts).map { index in
            var posts: [Double] = []
            var t = start
            while true {
                t += -log(1 - Double.random(in: 0..<1, using: &random)) / (perDay / 86_400)
                guard t < end else { break }
                posts.append(t)
            }
            return SimulatedAccount(id: AccountID(platform: .instagram, externalID: "p\(index)"), posts: posts)
        }
    }

    /// Accounts from a trace: JSON lines `{"account":"…","publishedAt":"RFC 3339"}`.
    static func trace(_ path: String) throws -> [SimulatedAccount] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var posts: [String: [Double]] = [:]
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            struct Line: Decodable {
                var account: String
                var publishedAt: String
            }
            guard let entry = try? JSONDecoder().decode(Line.self, from: Data(line.utf8)),
                let published = Timestamp.parse(entry.publishedAt)
            else { throw BenchError("\(path):\(number + 1): not {\"account\":\"…\",\"publishedAt\":\"RFC 3339\"}") }
            posts[entry.account, default: []].append(published.timeIntervalSince1970)
        }
        return posts.keys.sorted().map { key in
            SimulatedAccount(
                id: AccountID(key) ?? AccountID(platform: .instagram, externalID: key), posts: posts[key]!.sorted())
        }
    }

    private static func poisson(_ mean: Double, using random: inout SplitMix64) -> Int {
        // Knuth's method: the means here are small.
        let limit = exp(-mean)
        var product = Double.random(in: 0..<1, using: &random)
        var count = 0
        while product > limit {
            count += 1
            product *= Double.random(in: 0..<1, using: &random)
        }
        return count
    }

    private static func gaussian(_ window: (centre: Double, width: Double), using random: inout SplitMix64) -> Double {
        let u = max(Double.random(in: 0..<1, using: &random), 1e-12)
        let v = Double.random(in: 0..<1, using: &random)
        let hour = window.centre + window.width * (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
        return (hour.truncatingRemainder(dividingBy: 24) + 24).truncatingRemainder(dividingBy: 24)
    }
}

extension Array where Element == (centre: Double, weight: Double) {
    fileprivate func weightedPick(using random: inout SplitMix64) -> Element {
        var pick = Double.random(in: 0..<reduce(0) { $0 + $1.weight }, using: &random)
        for element in self {
            pick -= element.weight
            if pick < 0 { return element }
        }
        return self[count - 1]
    }
}

/// A benchmark input problem.
struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
