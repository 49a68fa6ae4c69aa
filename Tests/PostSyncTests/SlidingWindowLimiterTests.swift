import Foundation
import PostSyncTestSupport
import Testing

@testable import PostSync

@Suite(.timeLimit(.minutes(1))) struct SlidingWindowLimiterTests {
    /// Should sleep on the injected clock until the reserved slot, then let the call go.
    @Test func sleepsOnTheClock() async throws {
        let clock = ManualClock()
        let start = clock.now
        let limiter = SlidingWindowLimiter(limit: 1, clock: clock)
        try await limiter.acquire(maxWait: .zero)
        #expect(clock.sleeperCount == 0, "a free slot does not sleep")
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await limiter.acquire(maxWait: .seconds(60)) }
            try await eventually("the second caller sleeps") { clock.sleeperCount == 1 }
            #expect(clock.nextDeadline == start.addingTimeInterval(60))
            clock.advance(by: 60)
            try await group.waitForAll()
        }
    }

    /// Should refuse a wait longer than `maxWait`, with the wait rounded up as the retry-after.
    @Test func refusesLongWaits() async throws {
        let clock = ManualClock()
        let limiter = SlidingWindowLimiter(limit: 1, clock: clock)
        try await limiter.acquire(maxWait: .zero)
        clock.advance(by: 0.5)
        await #expect(throws: PlatformError.rateLimited(retryAfter: .seconds(60), "daemon-wide request budget exhausted")) {
            try await limiter.acquire(maxWait: .seconds(10))
        }
        #expect(clock.sleeperCount == 0)
    }

    /// Should hold calls back while paused after a 429.
    @Test func pause() async throws {
        let clock = ManualClock()
        let limiter = SlidingWindowLimiter(limit: 600, clock: clock)
        await limiter.pause(until: clock.now.addingTimeInterval(30))
        await #expect(throws: PlatformError.rateLimited(retryAfter: .seconds(30), "daemon-wide request budget exhausted")) {
            try await limiter.acquire(maxWait: .seconds(10))
        }
        clock.advance(by: 30)
        try await limiter.acquire(maxWait: .zero)
    }

    /// Should turn a cancelled wait into a transient error.
    @Test func cancelledWhileWaiting() async throws {
        let clock = ManualClock()
        let limiter = SlidingWindowLimiter(limit: 1, clock: clock)
        try await limiter.acquire(maxWait: .zero)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await limiter.acquire(maxWait: .seconds(60)) }
            try await eventually("the second caller sleeps") { clock.sleeperCount == 1 }
            group.cancelAll()
            await #expect(throws: PlatformError.transient("cancelled while waiting for the request budget")) {
                try await group.next()
            }
        }
    }
}
