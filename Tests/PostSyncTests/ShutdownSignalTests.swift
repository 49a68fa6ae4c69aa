import Foundation
import PostSyncTestSupport
import Testing

@testable import PostSync

@Suite(.timeLimit(.minutes(1))) struct ShutdownSignalTests {
    /// Should wake every waiter when fired.
    @Test func fireWakesEveryWaiter() async throws {
        let signal = ShutdownSignal()
        let woken = Recorder<Int>()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for waiter in 1...3 {
                group.addTask {
                    await signal.wait()
                    woken.append(waiter)
                }
            }
            try await eventually("three waiters") { signal.waiterCount == 3 }
            #expect(!signal.isFired)
            #expect(woken.count == 0)
            signal.fire()
            try await eventually("every waiter woken") { woken.count == 3 }
        }
        #expect(signal.isFired)
        #expect(signal.waiterCount == 0)
    }

    /// Should return at once from waits that start after it fired, without sleeping on the clock.
    @Test func waitAfterFiring() async {
        let clock = ManualClock()
        let signal = ShutdownSignal()
        signal.fire()
        signal.fire()
        await signal.wait()
        #expect(await signal.wait(until: clock.now.addingTimeInterval(60), clock: clock))
        #expect(clock.sleeperCount == 0)
        #expect(signal.waiterCount == 0)
    }

    /// Starts a `wait(until:)` `timeout` seconds ahead on a manual clock in a child task, waits
    /// until it sleeps, lets `drive` act, and waits until the wait returned.
    static func driveWait(
        timeout: TimeInterval, _ drive: (ManualClock, ShutdownSignal) async throws -> Void
    ) async throws -> (clock: ManualClock, signal: ShutdownSignal, fired: Recorder<Bool>) {
        let clock = ManualClock()
        let deadline = clock.now.addingTimeInterval(timeout)
        let signal = ShutdownSignal()
        let fired = Recorder<Bool>()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { fired.append(await signal.wait(until: deadline, clock: clock)) }
            try await eventually("waiting") { clock.sleeperCount == 1 && signal.waiterCount == 1 }
            try await drive(clock, signal)
            try await eventually("the wait ends") { fired.count == 1 }
        }
        return (clock, signal, fired)
    }

    /// Should sleep until the deadline on the clock and report that it did not fire.
    @Test func deadlinePasses() async throws {
        let (_, signal, fired) = try await Self.driveWait(timeout: 60) { clock, _ in
            clock.advance(by: 59)
            #expect(clock.sleeperCount == 1, "the deadline has not passed")
            clock.advance(by: 1)
        }
        #expect(fired.values == [false])
        #expect(signal.waiterCount == 0, "the wait for the signal ended with the deadline")
        #expect(!signal.isFired)
    }

    /// Should end a wait with a deadline as soon as it fires.
    @Test func firesBeforeTheDeadline() async throws {
        let (clock, _, fired) = try await Self.driveWait(timeout: 3600) { _, signal in signal.fire() }
        #expect(fired.values == [true])
        #expect(clock.sleeperCount == 0)
    }

    /// Should end a cancelled wait without firing, and forget the waiter.
    @Test func cancellation() async throws {
        let signal = ShutdownSignal()
        let returned = Recorder<Bool>()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                await signal.wait()
                returned.append(true)
            }
            try await eventually("waiting") { signal.waiterCount == 1 }
            group.cancelAll()
            try await eventually("the wait ends") { returned.count == 1 }
        }
        #expect(signal.waiterCount == 0)
        #expect(!signal.isFired)
    }
}
