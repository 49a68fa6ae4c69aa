import Foundation
import Testing

@testable import PostSync

@Suite struct MetaUsageBudgetTests {
    let start = Date(timeIntervalSince1970: 1_795_000_000)

    /// `seconds` after `start`.
    func at(_ seconds: TimeInterval) -> Date { start.addingTimeInterval(seconds) }

    /// A budget that has read one report for `key` at `start`.
    func budget(app: Int? = nil, business: Int? = nil, regain: Duration? = nil, key: String = "ig1") -> MetaUsageBudget {
        var budget = MetaUsageBudget()
        budget.record(MetaUsageReport(appPercent: app, businessPercent: business, regainAfter: regain), key: key, now: start)
        return budget
    }

    /// Should not hold calls back at all up to 80 % usage.
    @Test(arguments: [nil, 0, 50, 80])
    func noPacingUpTo80(percent: Int?) {
        var budget = budget(business: percent)
        for _ in 0..<5 { #expect(budget.reserve("ig1", now: at(0), maxWait: 0) == .go) }
    }

    /// Should space calls out above 80 %, linearly up to 5 s at 100 %.
    @Test(arguments: [(81, 0.25), (90, 2.5), (95, 3.75), (99, 4.75)])
    func slowsAbove80(percent: Int, spacing: TimeInterval) {
        var budget = budget(business: percent)
        #expect(budget.reserve("ig1", now: at(0), maxWait: 10) == .go, "the first call has nothing to be spaced from")
        #expect(budget.reserve("ig1", now: at(0), maxWait: 10) == .wait(until: at(spacing)))
        #expect(budget.reserve("ig1", now: at(0), maxWait: 10) == .wait(until: at(2 * spacing)))
        #expect(budget.reserve("ig1", now: at(3 * spacing), maxWait: 0) == .go, "a call after the spacing goes at once")
    }

    /// Should space calls 5 s apart at 100 % and above, once the stop that 100 % brings has passed.
    @Test(arguments: [100, 130])
    func widestSpacingFrom100(percent: Int) {
        var budget = budget(business: percent)
        #expect(budget.reserve("ig1", now: at(60), maxWait: 0) == .go)
        #expect(budget.reserve("ig1", now: at(60), maxWait: 10) == .wait(until: at(65)))
    }

    /// Should pace a key by app-wide usage as well as by its own.
    @Test func appUsageCountsForEveryKey() {
        var budget = budget(app: 90, business: 10)
        #expect(budget.percent(for: "ig1") == 90)
        #expect(budget.percent(for: "ig2") == 90)
        _ = budget.reserve("ig2", now: at(0), maxWait: 0)
        #expect(budget.reserve("ig2", now: at(0), maxWait: 10) == .wait(until: at(2.5)))
        #expect(budget.reserve("ig3", now: at(0), maxWait: 0) == .go, "spacing is per key")
    }

    /// Should stop a key's calls at 100 % business usage: for the stated time to regain access, else
    /// a minute; other keys go on.
    @Test func stopsAt100() {
        var stated = budget(business: 100, regain: .seconds(300))
        #expect(stated.reserve("ig1", now: at(0), maxWait: 10) == .refuse(after: 300))
        #expect(stated.reserve("ig1", now: at(250), maxWait: 60) == .wait(until: at(300)))
        var unstated = budget(business: 100)
        #expect(unstated.reserve("ig1", now: at(0), maxWait: 10) == .refuse(after: 60))
        #expect(unstated.reserve("ig2", now: at(0), maxWait: 0) == .go)
    }

    /// Should stop every key's calls for a minute at 100 % app-wide usage.
    @Test func appAt100StopsEveryKey() {
        var budget = budget(app: 100)
        #expect(budget.reserve("ig1", now: at(0), maxWait: 10) == .refuse(after: 60))
        #expect(budget.reserve("ig2", now: at(30), maxWait: 10) == .refuse(after: 30))
    }

    /// Should let calls through again once the block has passed, paced by the latest report.
    @Test func recoversAfterTheBlock() {
        var budget = budget(business: 100)
        #expect(budget.reserve("ig1", now: at(59), maxWait: 0) == .refuse(after: 1))
        #expect(budget.reserve("ig1", now: at(60), maxWait: 0) == .go)
        budget.record(MetaUsageReport(businessPercent: 40), key: "ig1", now: at(60))
        #expect(budget.reserve("ig1", now: at(60), maxWait: 0) == .go)
        #expect(budget.reserve("ig1", now: at(60), maxWait: 0) == .go)
    }

    /// Should keep the longer of two blocks (a throttling error code after a usage report).
    @Test func longerBlockWins() {
        var budget = MetaUsageBudget()
        budget.block("ig1", until: at(120))
        budget.block("ig1", until: at(30))
        #expect(budget.reserve("ig1", now: at(0), maxWait: 0) == .refuse(after: 120))
        budget.block("ig1", until: at(180))
        #expect(budget.reserve("ig1", now: at(0), maxWait: 0) == .refuse(after: 180))
    }

    /// Should record nothing when it refuses, so that the refused caller does not push others back.
    @Test func refusalRecordsNothing() {
        var budget = budget(business: 90)
        #expect(budget.reserve("ig1", now: at(0), maxWait: 0) == .go)
        let before = budget
        #expect(budget.reserve("ig1", now: at(0), maxWait: 1) == .refuse(after: 2.5))
        #expect(budget == before)
        #expect(budget.reserve("ig1", now: at(0), maxWait: 10) == .wait(until: at(2.5)))
    }
}
