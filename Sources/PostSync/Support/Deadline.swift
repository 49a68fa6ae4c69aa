import Foundation

/// Thrown when a run outlives `sync.deadline`.
public struct DeadlineExceeded: Error, CustomStringConvertible {
    /// The limit that passed.
    public var limit: Duration
    /// A human-readable message.
    public var description: String { "sync deadline of \(DurationText.format(limit)) exceeded" }
}

/// Runs `body`, cancelling it when `limit` passes on `clock`.
/// - Parameter timer: Keeps the deadline when given (then it may pass up to the timer's
///   coalescing late). Every sync run has a deadline: on the shared timer it is an entry in a
///   heap, where a sleeping task cost a system timer set and cancelled at each run.
/// - Throws: `DeadlineExceeded`, or what `body` throws.
func withDeadline<T: Sendable>(
    _ limit: Duration, clock: any DaemonClock, timer: WakeTimer? = nil, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let deadline = clock.now.addingTimeInterval(limit.seconds)
    let expiry = Mailbox<Bool>()
    let registration = timer?.schedule(at: deadline) { expiry.post(true) }
    defer { if let registration { timer?.cancel(registration) } }
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            if timer != nil {
                // Returns when the timer posts, or when the body won and the group is cancelled.
                await expiry.waitForEvent()
            } else {
                try await clock.sleep(until: deadline)
            }
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw DeadlineExceeded(limit: limit) }
        return value
    }
}
