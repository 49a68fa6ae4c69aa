import Foundation

/// The daemon's only source of time. Schedules are wall-clock instants (they are persisted as
/// `next_sync_at`), so the clock speaks `Date`. Tests inject a manual clock and run a day in
/// milliseconds; production uses `SystemClock`.
public protocol DaemonClock: Sendable {
    /// The current wall-clock time.
    var now: Date { get }
    /// Suspends until `deadline` (returns at once if it has passed).
    /// - Throws: `CancellationError` when the task is cancelled.
    func sleep(until deadline: Date) async throws
}

extension DaemonClock {
    /// Suspends for `duration`.
    public func sleep(for duration: Duration) async throws {
        try await sleep(until: now.addingTimeInterval(duration.seconds))
    }
}

/// The real clock.
public struct SystemClock: DaemonClock {
    /// Creates the system clock.
    public init() {}
    /// The current wall-clock time.
    public var now: Date { Date() }
    /// Sleeps on the continuous clock for the remaining interval.
    public func sleep(until deadline: Date) async throws {
        let remaining = deadline.timeIntervalSinceNow
        if remaining > 0 {
            try await Task.sleep(for: .seconds(remaining))
        } else {
            try Task.checkCancellation()
        }
    }
}

extension Duration {
    /// The duration in seconds, as a `TimeInterval`.
    public var seconds: TimeInterval {
        let (s, atto) = components
        return TimeInterval(s) + TimeInterval(atto) / 1e18
    }

    /// The duration in whole milliseconds.
    public var milliseconds: Int64 {
        let (s, atto) = components
        return s * 1000 + atto / 1_000_000_000_000_000
    }
}
