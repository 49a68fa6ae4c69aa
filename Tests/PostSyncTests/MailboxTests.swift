import Foundation
import PostSyncTestSupport
import Testing

@testable import PostSync

@Suite(.timeLimit(.minutes(1))) struct MailboxTests {
    /// Starts a `receive` with a deadline `timeout` seconds ahead on a manual clock in a child
    /// task, waits until it sleeps, lets `drive` act, and waits until `receive` returned.
    static func driveReceive(
        timeout: TimeInterval, _ drive: (ManualClock, Mailbox<String>, Recorder<[String]>) async throws -> Void
    ) async throws -> (clock: ManualClock, mailbox: Mailbox<String>, received: Recorder<[String]>) {
        let clock = ManualClock()
        let deadline = clock.now.addingTimeInterval(timeout)
        let mailbox = Mailbox<String>()
        let received = Recorder<[String]>()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { received.append(await mailbox.receive(until: deadline, clock: clock)) }
            try await eventually("receive waits") { clock.sleeperCount == 1 && mailbox.isConsumerWaiting }
            try await drive(clock, mailbox, received)
            try await eventually("receive returns") { received.count == 1 }
        }
        return (clock, mailbox, received)
    }

    /// Should hand over everything posted, oldest first, exactly once.
    @Test func drainsInOrder() {
        let mailbox = Mailbox<Int>()
        #expect(mailbox.isEmpty)
        for event in 1...5 { mailbox.post(event) }
        #expect(!mailbox.isEmpty)
        #expect(mailbox.drain() == [1, 2, 3, 4, 5])
        #expect(mailbox.isEmpty)
        #expect(mailbox.drain() == [])
    }

    /// Should keep every event of concurrent producers, each producer's in the order it posted them.
    @Test func concurrentProducers() async {
        let mailbox = Mailbox<[Int]>()
        await withTaskGroup(of: Void.self) { group in
            for producer in 0..<8 {
                group.addTask { for index in 0..<100 { mailbox.post([producer, index]) } }
            }
        }
        let events = mailbox.drain()
        #expect(events.count == 800)
        for producer in 0..<8 {
            #expect(events.filter { $0[0] == producer }.map { $0[1] } == Array(0..<100))
        }
    }

    /// Should call a parked consumer's resume closure once, on the next post, and refuse to park
    /// while events are pending.
    @Test func parkResumesOnNextPost() {
        let mailbox = Mailbox<Int>()
        let resumed = Recorder<Int>()
        #expect(mailbox.park { resumed.append(1) })
        #expect(mailbox.isParked)
        mailbox.post(7)
        mailbox.post(8)
        #expect(resumed.values == [1], "once")
        #expect(!mailbox.isParked)
        #expect(!mailbox.park { resumed.append(2) }, "events are pending")
        #expect(mailbox.drain() == [7, 8])
        #expect(resumed.values == [1])
    }

    /// Should return pending events at once, without sleeping on the clock.
    @Test func receivePending() async {
        let clock = ManualClock()
        let mailbox = Mailbox<String>()
        mailbox.post("a")
        mailbox.post("b")
        #expect(await mailbox.receive(until: clock.now.addingTimeInterval(60), clock: clock) == ["a", "b"])
        #expect(clock.sleeperCount == 0)
    }

    /// Should return nothing once the deadline passes on the clock, and not a moment before.
    @Test func receiveTimesOut() async throws {
        let (_, mailbox, received) = try await Self.driveReceive(timeout: 30) { clock, _, received in
            clock.advance(by: 29)
            #expect(clock.sleeperCount == 1, "the deadline has not passed")
            #expect(received.count == 0)
            clock.advance(by: 1)
        }
        #expect(received.values == [[]])
        #expect(!mailbox.isConsumerWaiting, "the wait for an event ended with the deadline")
    }

    /// Should wake a waiting consumer as soon as an event is posted, and stop its deadline's sleep.
    @Test func postWakesTheConsumer() async throws {
        let (clock, _, received) = try await Self.driveReceive(timeout: 3600) { _, mailbox, _ in mailbox.post("wake") }
        #expect(received.values == [["wake"]])
        #expect(clock.sleeperCount == 0)
    }

    /// Should wait without a deadline until an event arrives.
    @Test func receiveWithoutDeadline() async throws {
        let clock = ManualClock()
        let mailbox = Mailbox<Int>()
        let received = Recorder<[Int]>()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { received.append(await mailbox.receive(until: nil, clock: clock)) }
            try await eventually("receive waits") { mailbox.isConsumerWaiting }
            #expect(clock.sleeperCount == 0, "no deadline, no sleep")
            mailbox.post(1)
            try await eventually("receive returns") { received.count == 1 }
        }
        #expect(received.values == [[1]])
    }

    /// Should give up waiting, with nothing, when the consumer is cancelled.
    @Test func cancellation() async throws {
        let clock = ManualClock()
        let mailbox = Mailbox<Int>()
        let received = Recorder<[Int]>()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { received.append(await mailbox.receive(until: clock.now.addingTimeInterval(60), clock: clock)) }
            try await eventually("receive waits") { clock.sleeperCount == 1 && mailbox.isConsumerWaiting }
            group.cancelAll()
            try await eventually("receive returns") { received.count == 1 }
        }
        #expect(received.values == [[]])
        #expect(!mailbox.isConsumerWaiting)
        #expect(clock.sleeperCount == 0)
    }
}
