import Foundation
import PostSyncTestSupport
import Testing

@testable import PostSync

@Suite(.timeLimit(.minutes(1))) struct WakeTimerTests {
    /// Should run each action once its deadline comes, earliest first, and not before; one task
    /// sleeps on the clock for all of them.
    @Test func firesInDeadlineOrder() async throws {
        let clock = ManualClock()
        let timer = WakeTimer(clock: clock)
        let fired = Recorder<Int>()
        let start = clock.now
        for (index, offset) in [30.0, 10, 20, 40].enumerated() {
            timer.schedule(at: start.addingTimeInterval(offset)) { fired.append(index) }
        }
        try await eventually("the timer sleeps") { clock.sleeperCount == 1 }
        #expect(clock.nextDeadline == start.addingTimeInterval(10))
        #expect(fired.values.isEmpty)
        clock.advance(by: 25)
        try await eventually("two fired") { fired.count == 2 }
        #expect(fired.values == [1, 2])
        try await eventually("the timer sleeps again") { clock.nextDeadline == start.addingTimeInterval(30) }
        clock.advance(by: 100)
        try await eventually("all fired") { fired.count == 4 }
        #expect(fired.values == [1, 2, 0, 3])
        try await eventually("the timer's task ended") { clock.sleeperCount == 0 }
        #expect(timer.scheduledCount == 0)
    }

    /// Should wake its sleeping task for a deadline earlier than the one it sleeps until.
    @Test func earlierDeadlineWakesTheLoop() async throws {
        let clock = ManualClock()
        let timer = WakeTimer(clock: clock)
        let fired = Recorder<String>()
        let start = clock.now
        timer.schedule(at: start.addingTimeInterval(3_600)) { fired.append("late") }
        try await eventually("the timer sleeps an hour") { clock.nextDeadline == start.addingTimeInterval(3_600) }
        timer.schedule(at: start.addingTimeInterval(5)) { fired.append("early") }
        try await eventually("the timer sleeps 5 s") { clock.nextDeadline == start.addingTimeInterval(5) }
        clock.advance(by: 5)
        try await eventually("the early one fired") { fired.count == 1 }
        #expect(fired.values == ["early"])
    }

    /// Should never run a cancelled action, and end its task once nothing is scheduled.
    @Test func cancelled() async throws {
        let clock = ManualClock()
        let timer = WakeTimer(clock: clock)
        let fired = Recorder<String>()
        let start = clock.now
        let dropped = timer.schedule(at: start.addingTimeInterval(10)) { fired.append("dropped") }
        timer.schedule(at: start.addingTimeInterval(20)) { fired.append("kept") }
        timer.cancel(dropped)
        #expect(timer.scheduledCount == 1)
        clock.advance(by: 30)
        try await eventually("kept fired") { fired.count == 1 }
        #expect(fired.values == ["kept"])
        let last = timer.schedule(at: clock.now.addingTimeInterval(60)) { fired.append("never") }
        try await eventually("the timer sleeps") { clock.sleeperCount == 1 }
        timer.cancel(last)
        try await eventually("the timer's task ended") { clock.sleeperCount == 0 }
        clock.advance(by: 120)
        #expect(fired.values == ["kept"])
    }

    /// Should run an action whose deadline has passed at once, on the caller's thread.
    @Test func pastDeadlineRunsNow() {
        let clock = ManualClock()
        let timer = WakeTimer(clock: clock)
        let fired = Recorder<Int>()
        timer.schedule(at: clock.now) { fired.append(1) }
        timer.schedule(at: clock.now.addingTimeInterval(-5)) { fired.append(2) }
        #expect(fired.values == [1, 2])
        #expect(timer.scheduledCount == 0)
    }

    /// Should keep thousands of registrations, most cancelled (accounts woken early), without
    /// losing a live one or firing a dead one.
    @Test func manyRegistrationsMostCancelled() async throws {
        let clock = ManualClock()
        let timer = WakeTimer(clock: clock)
        let fired = Recorder<Int>()
        let start = clock.now
        var expected: [Int] = []
        for index in 0..<5_000 {
            let registration = timer.schedule(at: start.addingTimeInterval(Double(5_000 - index))) { fired.append(index) }
            if index % 7 == 0 { expected.append(index) } else { timer.cancel(registration) }
        }
        #expect(timer.scheduledCount == expected.count)
        clock.advance(by: 10_000)
        try await eventually("every live one fired") { fired.count == expected.count }
        // Later deadlines were scheduled first: they fire in deadline order, so by descending index.
        #expect(fired.values == expected.reversed())
    }

    /// Should hand a mailbox's consumer the timeout event when the deadline passes, and the
    /// events posted before it otherwise (then the timeout never arrives).
    @Test func mailboxReceive() async throws {
        let clock = ManualClock()
        let timer = WakeTimer(clock: clock)
        let mailbox = Mailbox<String>()
        let received = Recorder<[String]>()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                received.append(await mailbox.receive(until: clock.now.addingTimeInterval(60), timer: timer, timeout: "timeout"))
            }
            try await eventually("receive waits") { mailbox.isConsumerWaiting && clock.sleeperCount == 1 }
            clock.advance(by: 60)
            try await eventually("receive returns") { received.count == 1 }
        }
        #expect(received.values == [["timeout"]])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                received.append(await mailbox.receive(until: clock.now.addingTimeInterval(60), timer: timer, timeout: "timeout"))
            }
            try await eventually("receive waits") { mailbox.isConsumerWaiting && timer.scheduledCount == 1 }
            mailbox.post("event")
            try await eventually("receive returns") { received.count == 2 }
        }
        #expect(received.values.last == ["event"])
        #expect(timer.scheduledCount == 0, "the wake-up was cancelled")
        clock.advance(by: 120)
        #expect(mailbox.drain().isEmpty)
    }

    /// With coalescing, should serve wake-ups in batches at least `coalescing` apart, each at
    /// most `coalescing` late and never early, and not let a stream of new registrations push a
    /// due one further out.
    @Test func coalescedBatches() async throws {
        let clock = ManualClock()
        let timer = WakeTimer(clock: clock, coalescing: .seconds(1))
        let fired = Recorder<Double>()
        let start = clock.now
        for offset in [10.0, 10.3, 10.9, 11.2, 13.0] {
            timer.schedule(at: start.addingTimeInterval(offset)) { fired.append(offset) }
        }
        try await eventually("the timer sleeps until the first") { clock.nextDeadline == start.addingTimeInterval(10) }
        clock.advance(by: 10)
        try await eventually("the first fired") { fired.count == 1 }
        // The next batch waits out the coalescing after the first: 10.3 and 10.9 at 11.0.
        try await eventually("the timer sleeps until 11") { clock.nextDeadline == start.addingTimeInterval(11) }
        // A new registration between two batches does not move the batch later.
        timer.schedule(at: start.addingTimeInterval(10.5)) { fired.append(10.5) }
        try await eventually("still 11") { clock.sleeperCount == 1 && clock.nextDeadline == start.addingTimeInterval(11) }
        #expect(fired.values == [10])
        clock.advance(by: 1)
        try await eventually("the batch fired") { fired.count == 4 }
        #expect(fired.values == [10, 10.3, 10.5, 10.9])
        // 11.2 is due before 12 (the next batch allowed): it waits until 12, 0.8 s late.
        try await eventually("the timer sleeps until 12") { clock.nextDeadline == start.addingTimeInterval(12) }
        clock.advance(by: 1)
        try await eventually("11.2 fired") { fired.count == 5 }
        // 13 is more than the coalescing after the last batch: on time.
        try await eventually("the timer sleeps until 13") { clock.nextDeadline == start.addingTimeInterval(13) }
        clock.advance(by: 1)
        try await eventually("all fired") { fired.count == 6 }
        #expect(fired.values == [10, 10.3, 10.5, 10.9, 11.2, 13])
    }
}
