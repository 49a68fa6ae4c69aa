import Foundation
import PostSyncTestSupport
import Testing

@testable import PostSync

@Suite(.timeLimit(.minutes(1))) struct DeadlineTests {
    /// An error of the body's own.
    struct Failure: Error, Equatable {}

    /// What a `withDeadline` call ended with, for a `Recorder`.
    static func outcome(_ body: () async throws -> Int) async -> String {
        do {
            return "value \(try await body())"
        } catch let error as DeadlineExceeded {
            return "exceeded \(error.limit)"
        } catch {
            return "\(type(of: error))"
        }
    }

    /// Runs a 10 s `withDeadline` over a body that sleeps an hour on `clock`, recording how the call
    /// ended in `outcome` and what the body's sleep threw in `bodyError`.
    static func hourLongBody(clock: ManualClock, outcome: Recorder<String>, bodyError: Recorder<String>) async {
        let start = clock.now
        outcome.append(
            await Self.outcome {
                try await withDeadline(.seconds(10), clock: clock) {
                    do { try await clock.sleep(until: start.addingTimeInterval(3600)) } catch {
                        bodyError.append("\(type(of: error))")
                        throw error
                    }
                    return 3600
                }
            })
    }

    /// Runs `hourLongBody` in a child task on a manual clock, waits until the body and the timer
    /// sleep, lets `drive` act (advance the clock, cancel the group), and waits for the outcome.
    static func driveHourLongBody(
        _ drive: (ManualClock, inout ThrowingTaskGroup<Void, any Error>) async throws -> Void
    ) async throws -> (clock: ManualClock, outcome: Recorder<String>, bodyError: Recorder<String>) {
        let clock = ManualClock()
        let outcome = Recorder<String>()
        let bodyError = Recorder<String>()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await Self.hourLongBody(clock: clock, outcome: outcome, bodyError: bodyError) }
            try await eventually("body and timer sleep") { clock.sleeperCount == 2 }
            try await drive(clock, &group)
            try await eventually("an outcome") { outcome.count == 1 }
        }
        return (clock, outcome, bodyError)
    }

    /// Should return the body's value when it finishes in time, and leave no timer behind.
    @Test func bodyFinishesAtOnce() async throws {
        let clock = ManualClock()
        #expect(try await withDeadline(.seconds(10), clock: clock) { 42 } == 42)
        #expect(clock.sleeperCount == 0)
    }

    /// Should let a body that takes less than the limit on the clock finish.
    @Test func bodyFinishesInTime() async throws {
        let clock = ManualClock()
        let start = clock.now
        let outcome = Recorder<String>()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                outcome.append(
                    await Self.outcome {
                        try await withDeadline(.seconds(10), clock: clock) {
                            try await clock.sleep(until: start.addingTimeInterval(9))
                            return 9
                        }
                    })
            }
            try await eventually("body and timer sleep") { clock.sleeperCount == 2 }
            clock.advance(by: 9)
            try await eventually("an outcome") { outcome.count == 1 }
        }
        #expect(outcome.values == ["value 9"])
        #expect(clock.sleeperCount == 0, "the timer was cancelled")
    }

    /// Should cancel the body and throw `DeadlineExceeded` when the limit passes on the clock.
    @Test func deadlineFires() async throws {
        let (clock, outcome, bodyError) = try await Self.driveHourLongBody { clock, _ in
            clock.advance(by: 9)
            #expect(clock.sleeperCount == 2, "nothing is due before the limit")
            clock.advance(by: 1)
        }
        #expect(outcome.values == ["exceeded \(Duration.seconds(10))"])
        #expect(bodyError.values == ["CancellationError"], "the body was cancelled")
        #expect(clock.sleeperCount == 0)
    }

    /// Should throw what the body throws, not a deadline error.
    @Test func bodyFails() async {
        let clock = ManualClock()
        await #expect(throws: Failure()) {
            try await withDeadline(.seconds(10), clock: clock) { () async throws -> Int in throw Failure() }
        }
        #expect(clock.sleeperCount == 0)
    }

    /// Should pass the caller's cancellation on to the body and end with `CancellationError`.
    @Test func callerCancelled() async throws {
        let (clock, outcome, bodyError) = try await Self.driveHourLongBody { _, group in group.cancelAll() }
        #expect(outcome.values == ["CancellationError"])
        #expect(bodyError.values == ["CancellationError"])
        #expect(clock.sleeperCount == 0)
    }

    /// On the shared timer: the deadline is one timer entry (none left once the call returns),
    /// and it cancels the body when it passes.
    @Test func onTheSharedTimer() async throws {
        let clock = ManualClock()
        let timer = WakeTimer(clock: clock)
        #expect(try await withDeadline(.seconds(10), clock: clock, timer: timer) { 42 } == 42)
        #expect(timer.scheduledCount == 0)
        let start = clock.now
        let outcome = Recorder<String>()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                outcome.append(
                    await Self.outcome {
                        try await withDeadline(.seconds(10), clock: clock, timer: timer) {
                            try await clock.sleep(until: start.addingTimeInterval(3600))
                            return 3600
                        }
                    })
            }
            try await eventually("the body and the timer sleep") { clock.sleeperCount == 2 && timer.scheduledCount == 1 }
            clock.advance(by: 9)
            #expect(outcome.count == 0)
            clock.advance(by: 1)
            try await eventually("an outcome") { outcome.count == 1 }
        }
        #expect(outcome.values == ["exceeded \(Duration.seconds(10))"])
        #expect(timer.scheduledCount == 0)
    }
}
