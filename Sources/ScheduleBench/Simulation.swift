import Foundation
import PostSync

/// What one schedule achieved over the measured window.
struct Figures {
    var posts = 0
    var calls = 0
    var delays: [Double] = []
    var maxGap = 0.0
    var staleness = 0.0
    var maxInterval = 0.0

    func percentile(_ p: Double) -> Double {
        guard !delays.isEmpty else { return 0 }
        return delays[min(delays.count - 1, Int((Double(delays.count - 1) * p).rounded()))]
    }

    var json: [String: Double] {
        [
            "posts": Double(posts), "calls": Double(calls), "delayP50": percentile(0.5), "delayP90": percentile(0.9),
            "delayP99": percentile(0.99), "delayMax": delays.last ?? 0, "maxGap": maxGap, "staleness": staleness,
            "maxInterval": maxInterval,
        ]
    }
}

/// Runs the real `AccountStateMachine` (and, for the adaptive schedule, the real
/// `ScheduleBoard`) over simulated accounts under a virtual clock: no HTTP, no store. A sync
/// stores every post published up to its instant and shows the planner what a real sync shows:
/// the history on the first sync, the new posts after, and how many young posts changed.
struct Simulation {
    var accounts: [SimulatedAccount]
    /// Simulation start (the first syncs), measured window start and end (seconds since 1970).
    var start: Double
    var measureStart: Double
    var end: Double
    /// The platform's limit of sync calls per minute (nil: none); runs wait for it in turn.
    var callsPerMinute: Int?
    var seed: UInt64

    /// How long after `end` the simulation goes on so that every measured post is stored.
    static let tail = 12.0 * 3_600
    static let historyLimit = 8.0 * 7 * 86_400
    static let youngAge = 48.0 * 3_600
    static let sampleEvery = 900.0

    func run(settings: AccountStateMachine.Settings, board: ScheduleBoard?) -> Figures {
        var random = SplitMix64(seed: seed)
        var machines: [AccountStateMachine] = []
        var queue = EventQueue()
        for (index, account) in accounts.enumerated() {
            // The first syncs spread over one interval, as jitter spreads a daemon's accounts.
            let first = start + Double.random(in: 0..<settings.interval.seconds, using: &random)
            let record = AccountRecord(
                id: account.id, accessToken: "-", nextSyncAt: Date(timeIntervalSince1970: first),
                createdAt: Date(timeIntervalSince1970: start))
            machines.append(AccountStateMachine(settings: settings, record: record, now: Date(timeIntervalSince1970: start)))
            queue.push(first, index)
        }
        var seen = [Int](repeating: 0, count: accounts.count)
        var lastSync = [Double](repeating: .nan, count: accounts.count)
        var figures = Figures()
        var free = start
        let spacing = callsPerMinute.map { 60 / Double($0) } ?? 0
        var nextSample = measureStart
        var stalenessSum = 0.0
        var stalenessWeight = 0.0
        while let (due, index) = queue.pop() {
            let now = max(due, free)
            if spacing > 0 { free = now + spacing }
            guard now < end + Self.tail else { break }
            while nextSample < min(now, end) {
                for i in accounts.indices where !lastSync[i].isNaN {
                    let young = seen[i] - accounts[i].posts.lowerBound(of: nextSample - Self.youngAge)
                    guard young > 0 else { continue }
                    stalenessSum += Double(young) * (nextSample - lastSync[i])
                    stalenessWeight += Double(young)
                }
                nextSample += Self.sampleEvery
            }
            var date = Date(timeIntervalSince1970: now)
            var machine = machines[index]
            // The queue keeps seconds since 1970; a Date counts from 2001, and the round trip can
            // land one rounding step before the planned instant.
            if let next = machine.nextSyncAt, next > date, next.timeIntervalSince(date) < 0.001 { date = next }
            guard case .sync = machine.handle(.wake(now: date, triggers: []), random: &random) else {
                if let next = machine.nextSyncAt { queue.push(next.timeIntervalSince1970, index) }
                machines[index] = machine
                continue
            }
            _ = machine.handle(.runStarted(token: .use), random: &random)
            let posts = accounts[index].posts
            let from = lastSync[index].isNaN ? posts.lowerBound(of: now - Self.historyLimit) : seen[index]
            var upTo = seen[index]
            while upTo < posts.count, posts[upTo] <= now {
                if posts[upTo] >= measureStart, posts[upTo] < end {
                    figures.posts += 1
                    figures.delays.append(now - posts[upTo])
                }
                upTo += 1
            }
            let young = upTo - posts.lowerBound(of: now - Self.youngAge)
            let observation = SyncObservation(
                publications: posts[from..<upTo].map { Date(timeIntervalSince1970: $0) }, changedPosts: max(0, young))
            seen[index] = upTo
            let prices = board?.prices(for: accounts[index].id.platform, now: date, recordingSync: true)
            _ = machine.handle(.runFinished(.succeeded, now: date, observation: observation, prices: prices), random: &random)
            board?.update(accounts[index].id, rhythm: machine.rhythm, now: date)
            if now >= measureStart, now < end {
                figures.calls += 1
                if !lastSync[index].isNaN { figures.maxGap = max(figures.maxGap, now - lastSync[index]) }
            }
            lastSync[index] = now
            machines[index] = machine
            if let next = machine.nextSyncAt { queue.push(next.timeIntervalSince1970, index) }
        }
        // An account left unsynced at the end counts too.
        for last in lastSync where !last.isNaN { figures.maxGap = max(figures.maxGap, end - max(last, measureStart)) }
        figures.delays.sort()
        figures.staleness = stalenessWeight > 0 ? stalenessSum / stalenessWeight : 0
        return figures
    }
}

extension Array where Element == Double {
    /// The index of the first element not below `value` (the array is sorted).
    func lowerBound(of value: Double) -> Int {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if self[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low
    }
}

/// A binary min-heap of (time, account).
struct EventQueue {
    private var items: [(Double, Int)] = []

    mutating func push(_ time: Double, _ index: Int) {
        items.append((time, index))
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].0 < items[parent].0 else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> (Double, Int)? {
        guard !items.isEmpty else { return nil }
        let top = items[0]
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < items.count, items[left].0 < items[smallest].0 { smallest = left }
                if right < items.count, items[right].0 < items[smallest].0 { smallest = right }
                guard smallest != parent else { break }
                items.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return top
    }
}
