import Foundation
import PostSyncTestSupport
import Testing

@testable import PostSync

@Suite(.timeLimit(.minutes(1))) struct MetaUsageGovernorTests {
    /// Should space calls out on the injected clock once a report says usage is above 80 %.
    @Test func sleepsOnTheClock() async throws {
        let clock = ManualClock()
        let start = clock.now
        let governor = MetaUsageGovernor(clock: clock)
        await governor.record(MetaUsageReport(businessPercent: 90), key: "ig1")
        try await governor.acquire("ig1", maxWait: .zero)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await governor.acquire("ig1", maxWait: .seconds(10)) }
            try await eventually("the second call sleeps") { clock.sleeperCount == 1 }
            #expect(clock.nextDeadline == start.addingTimeInterval(2.5))
            clock.advance(by: 2.5)
            try await group.waitForAll()
        }
    }

    /// Should refuse calls at 100 % with the time to regain access and the usage in the message.
    @Test func refusesAt100() async throws {
        let clock = ManualClock()
        let governor = MetaUsageGovernor(clock: clock)
        await governor.record(MetaUsageReport(businessPercent: 100, regainAfter: .seconds(120)), key: "ig1")
        await #expect(
            throws: PlatformError.rateLimited(retryAfter: .seconds(120), "Meta usage at 100%, waiting for access to return")
        ) {
            try await governor.acquire("ig1", maxWait: .seconds(10))
        }
        try await governor.acquire("ig2", maxWait: .zero)
    }

    /// Should stop calls for a key after a throttling error code until the stated time.
    @Test func block() async throws {
        let clock = ManualClock()
        let governor = MetaUsageGovernor(clock: clock)
        await governor.block("ig1", until: clock.now.addingTimeInterval(90.2))
        await #expect(
            throws: PlatformError.rateLimited(retryAfter: .seconds(91), "Meta usage at 0%, waiting for access to return")
        ) {
            try await governor.acquire("ig1", maxWait: .seconds(10))
        }
        clock.advance(by: 90.2)
        try await governor.acquire("ig1", maxWait: .zero)
    }
}
