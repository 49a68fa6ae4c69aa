import Foundation
import PostSync

// The adaptive schedule's benchmark (issue 13; `scripts/bench-schedule.sh` runs it): fixed
// (`interval: 15m`) against adaptive at the same number of sync calls, over one simulated week.
// See `usage` below, and the README's "Benchmarks".

let usage = """
    usage: ScheduleBench [--workload patterned|poisson|budget] [--accounts N] [--seed S]
                         [--warmup-days D] [--trace FILE] [--json]

      patterned  10,000 accounts with habits, rhythms and bursts (the default)
      poisson    as many accounts posting as a plain Poisson process at the same mean rate
      budget     50,000 TikTok accounts against 600 calls a minute (fixed cannot keep 15m)
      --trace    replay JSON lines {"account":"…","publishedAt":"RFC 3339"}: the last 7 days are
                 measured, what comes before is history
      --json     the figures as one JSON object {"fixed":{…},"adaptive":{…},…}
    """

struct Options {
    var workload = "patterned"
    var accounts: Int?
    var seed: UInt64 = 42
    var warmupDays = 3.0
    var trace: String?
    var json = false

    init(_ arguments: [String]) throws {
        var rest = arguments[...]
        func value(_ name: String) throws -> String {
            guard let value = rest.popFirst() else { throw BenchError("\(name) needs a value\n\(usage)") }
            return value
        }
        while let argument = rest.popFirst() {
            switch argument {
            case "--workload": workload = try value(argument)
            case "--accounts": accounts = Int(try value(argument))
            case "--seed": seed = UInt64(try value(argument)) ?? seed
            case "--warmup-days": warmupDays = Double(try value(argument)) ?? warmupDays
            case "--trace": trace = try value(argument)
            case "--json": json = true
            case "-h", "--help":
                print(usage)
                exit(0)
            default: throw BenchError("unknown argument \(argument)\n\(usage)")
            }
        }
        guard ["patterned", "poisson", "budget"].contains(workload) else { throw BenchError("unknown workload \(workload)") }
    }
}

func main() throws {
    let options = try Options(Array(CommandLine.arguments.dropFirst()))
    let interval = Duration.seconds(900)
    let limits = ScheduleMode.AdaptiveLimits()
    let jitter = 0.1
    let backoff = Backoff(min: .seconds(30), max: .seconds(1_800))
    let week = 7.0 * 86_400
    // Monday 2026-11-30 00:00 UTC starts the measured week.
    var measureStart = 1_795_996_800.0
    var accounts: [SimulatedAccount]
    var callsPerMinute: Int?
    var tiktokLimit = 600
    if let trace = options.trace {
        accounts = try Workload.trace(trace)
        let last = accounts.compactMap(\.posts.last).max() ?? measureStart
        measureStart = ((last / 3_600).rounded(.up) * 3_600) - week
    } else {
        let historyStart = measureStart - options.warmupDays * 86_400 - 4 * week
        switch options.workload {
        case "budget":
            accounts = Workload.patterned(
                accounts: options.accounts ?? 50_000, from: historyStart, to: measureStart + week, seed: options.seed,
                platform: .tiktok)
            callsPerMinute = 600
        case "poisson":
            let patterned = Workload.patterned(
                accounts: options.accounts ?? 10_000, from: historyStart, to: measureStart + week, seed: options.seed,
                platform: .instagram)
            let perDay =
                Double(patterned.reduce(0) { $0 + $1.posts.count }) / Double(patterned.count)
                / ((measureStart + week - historyStart) / 86_400)
            accounts = Workload.poisson(
                accounts: patterned.count, perDay: perDay, from: historyStart, to: measureStart + week, seed: options.seed)
        default:
            accounts = Workload.patterned(
                accounts: options.accounts ?? 10_000, from: historyStart, to: measureStart + week, seed: options.seed,
                platform: .instagram)
        }
    }
    if callsPerMinute != nil { tiktokLimit = callsPerMinute! }
    let simulation = Simulation(
        accounts: accounts, start: measureStart - options.warmupDays * 86_400, measureStart: measureStart,
        end: measureStart + week, callsPerMinute: callsPerMinute, seed: options.seed)

    let clock = ContinuousClock()
    let began = clock.now
    var fixed = simulation.run(
        settings: .init(interval: interval, jitter: jitter, backoff: backoff, mode: .fixed), board: nil)
    fixed.maxInterval = interval.seconds * (1 + jitter)
    // The adaptive schedule gets as many calls as fixed made: its mean period is `interval`, and
    // where it spent a little more or less (new accounts, bursts), the period is corrected so the
    // totals match (the budget-bound case keeps its own limit: both are capped by the platform).
    var adaptiveInterval = interval
    var adaptive = Figures()
    for _ in 0..<3 {
        let board = ScheduleBoard(
            plan: .init(interval: adaptiveInterval, limits: limits, tiktokCallsPerMinute: tiktokLimit))
        adaptive = simulation.run(
            settings: .init(interval: adaptiveInterval, jitter: jitter, backoff: backoff, mode: .adaptive(limits)),
            board: board)
        let ratio = Double(adaptive.calls) / Double(max(fixed.calls, 1))
        if callsPerMinute != nil || abs(ratio - 1) < 0.005 { break }
        adaptiveInterval = .milliseconds(Int64(adaptiveInterval.seconds * ratio * 1000))
    }
    adaptive.maxInterval = limits.maxInterval.seconds
    let elapsed = clock.now - began

    if options.json {
        let object: [String: Any] = [
            "workload": options.trace == nil ? options.workload : "trace", "accounts": accounts.count,
            "maxInterval": limits.maxInterval.seconds, "adaptiveInterval": adaptiveInterval.seconds,
            "fixed": fixed.json, "adaptive": adaptive.json,
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
        return
    }
    func time(_ seconds: Double) -> String {
        seconds < 120 ? String(format: "%.0fs", seconds) : String(format: "%.1fm", seconds / 60)
    }
    let name = options.trace.map { "trace \($0)" } ?? options.workload
    print("workload: \(name), \(accounts.count) accounts, one week measured after \(options.warmupDays) days of warm-up")
    if let callsPerMinute {
        print("platform limit: \(callsPerMinute) calls a minute (adaptive plans for budget \(limits.budget))")
    }
    print(
        "adaptive: min \(time(limits.minInterval.seconds)), max \(time(limits.maxInterval.seconds)), "
            + "mean period \(time(adaptiveInterval.seconds)) to spend fixed's calls")
    let header = "                     posts      calls    p50     p90     p99     max  max gap  staleness(<48h)"
    print(header)
    for (label, f) in [("fixed (15m)", fixed), ("adaptive", adaptive)] {
        print(
            label.padding(toLength: 18, withPad: " ", startingAt: 0)
                + String(format: "%8d %10d", f.posts, f.calls)
                + [f.percentile(0.5), f.percentile(0.9), f.percentile(0.99), f.delays.last ?? 0, f.maxGap, f.staleness]
                .map { time($0).leftPadded(8) }.joined())
    }
    let p50 = adaptive.percentile(0.5) / max(fixed.percentile(0.5), 1e-9)
    let p90 = adaptive.percentile(0.9) / max(fixed.percentile(0.9), 1e-9)
    print(
        String(
            format: "adaptive ÷ fixed: p50 %.2f, p90 %.2f, calls %.3f", p50, p90,
            Double(adaptive.calls) / Double(max(fixed.calls, 1))))
    print(
        String(
            format: "(simulated in %.1f s)", Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18))
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}

do { try main() } catch {
    FileHandle.standardError.write(Data("bench-schedule: \(error)\n".utf8))
    exit(2)
}
