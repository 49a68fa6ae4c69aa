import Foundation
import PostSyncTestSupport
import Testing

@testable import PostSync

@Suite(.timeLimit(.minutes(1))) struct AsyncSemaphoreTests {
    /// Should hand out its permits at once and make the next caller wait for a release.
    @Test func permitsAreHonoured() async throws {
        let semaphore = AsyncSemaphore(permits: 2)
        try await semaphore.acquire()
        try await semaphore.acquire()
        #expect(semaphore.waiterCount == 0)
        let acquired = Recorder<String>()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await semaphore.acquire()
                acquired.append("third")
            }
            try await eventually("the third caller waits") { semaphore.waiterCount == 1 }
            #expect(acquired.count == 0)
            semaphore.release()
            try await eventually("the third caller has the permit") { acquired.count == 1 }
        }
        #expect(semaphore.waiterCount == 0)
    }

    /// Should put a released permit back for the next caller, who then does not wait.
    @Test func releaseReturnsThePermit() async throws {
        let semaphore = AsyncSemaphore(permits: 1)
        for _ in 0..<3 {
            try await semaphore.acquire()
            #expect(semaphore.waiterCount == 0)
            semaphore.release()
        }
    }

    /// Should treat fewer than one permit as one.
    @Test func atLeastOnePermit() async throws {
        let semaphore = AsyncSemaphore(permits: 0)
        try await semaphore.acquire()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await semaphore.acquire() }
            try await eventually("the second caller waits") { semaphore.waiterCount == 1 }
            semaphore.release()
            try await eventually("the second caller has the permit") { semaphore.waiterCount == 0 }
        }
    }

    /// Should serve waiters first come, first served.
    @Test func firstComeFirstServed() async throws {
        let semaphore = AsyncSemaphore(permits: 1)
        try await semaphore.acquire()
        let served = Recorder<Int>()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for waiter in 1...4 {
                group.addTask {
                    try await semaphore.acquire()
                    served.append(waiter)
                }
                try await eventually("waiter \(waiter) queues up") { semaphore.waiterCount == waiter }
            }
            for count in 1...4 {
                semaphore.release()
                try await eventually("\(count) waiters served") { served.count == count }
            }
        }
        #expect(served.values == [1, 2, 3, 4])
    }

    /// Should turn away every waiter on `close()`, and every later caller, even after a release.
    @Test func closeWakesWaiters() async throws {
        let semaphore = AsyncSemaphore(permits: 1)
        try await semaphore.acquire()
        let refused = Recorder<Int>()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for waiter in 1...3 {
                group.addTask {
                    do { try await semaphore.acquire() } catch is AsyncSemaphore.Closed { refused.append(waiter) }
                }
            }
            try await eventually("three waiters") { semaphore.waiterCount == 3 }
            semaphore.close()
            try await eventually("every waiter turned away") { refused.count == 3 }
        }
        #expect(semaphore.waiterCount == 0)
        await #expect(throws: AsyncSemaphore.Closed.self) { try await semaphore.acquire() }
        semaphore.release()
        await #expect(throws: AsyncSemaphore.Closed.self) { try await semaphore.acquire() }
    }

    /// Should end a cancelled wait with `CancellationError`, leave the queue, and not swallow the
    /// permit that a later release hands out.
    @Test func cancellation() async throws {
        let semaphore = AsyncSemaphore(permits: 1)
        try await semaphore.acquire()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await semaphore.acquire() }
            try await eventually("the caller waits") { semaphore.waiterCount == 1 }
            group.cancelAll()
            await #expect(throws: CancellationError.self) { try await group.next() }
        }
        #expect(semaphore.waiterCount == 0)
        semaphore.release()
        try await semaphore.acquire()
        #expect(semaphore.waiterCount == 0)
    }
}
