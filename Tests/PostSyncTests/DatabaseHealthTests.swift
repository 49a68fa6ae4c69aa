import Foundation
import PostSyncTestSupport
import Synchronization
import Testing

@testable import PostSync

/// The outage state and the statement time limit.
@Suite struct DatabaseHealthTests {
    /// Should let waiters through at once while available, hold them during an outage, release
    /// them when it ends, and turn every wait away once shutdown began.
    @Test func waitersAndShutdown() async throws {
        let health = DatabaseHealth()
        try await health.waitUntilAvailable()
        #expect(health.markUnavailable("refused"))
        #expect(!health.markUnavailable("refused again"), "one outage, one probe")
        let released = Task { try await health.waitUntilAvailable() }
        try await Task.sleep(for: .milliseconds(20))
        health.markAvailable()
        try await released.value
        #expect(health.isAvailable && health.outages == 1)

        health.markUnavailable("down")
        let waiting = Task { try await health.waitUntilAvailable() }
        try await Task.sleep(for: .milliseconds(20))
        health.stopWaiting()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        await #expect(throws: CancellationError.self) { try await health.waitUntilAvailable() }
    }

    /// Should answer on time when a statement never ends (a server that stopped answering):
    /// postgres-nio cannot cancel a statement already sent.
    @Test(.enabled(if: StoreBackend.all.contains(.postgres), "needs PostgreSQL: run under scripts/with-postgres.sh"))
    func statementTimeLimitHoldsForAHungStatement() async throws {
        let store = try await PostgresStore.open(try StoreBackend.postgresDatabase(), logger: testLogger())
        let hung = Mutex<CheckedContinuation<Void, Never>?>(nil)
        let started = ContinuousClock.now
        await #expect(throws: StatementTimedOut.self) {
            try await store.timed(limit: .milliseconds(200)) {
                // Ignores cancellation, like a statement waiting on a dead socket.
                await withCheckedContinuation { continuation in hung.withLock { $0 = continuation } }
                return 1
            }
        }
        #expect(ContinuousClock.now - started < .seconds(2))
        hung.withLock { $0?.resume() }
        #expect(try await store.timed { 42 } == 42)
        await store.close()
    }
}
