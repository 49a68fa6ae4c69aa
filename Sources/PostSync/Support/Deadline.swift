import Foundation

/// Thrown when a run outlives `sync.deadline`.
public struct DeadlineExceeded: Error, CustomStringConvertible {
    /// The limit that passed.
    public var limit: Duration
    /// A human-readable message.
    public var description: String { "sync deadline of \(DurationText.format(limit)) exceeded" }
}

/// Runs `body`, cancelling it when `limit` passes on `clock`.
/// - Throws: `DeadlineExceeded`, or what `body` throws.
func withDeadline<T: Sendable>(
    _ limit: Duration, clock: any DaemonClock, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let deadline = clock.now.addingTimeInterval(limit.seconds)
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await clock.sleep(until: deadline)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw DeadlineExceeded(limit: limit) }
        return value
    }
}
