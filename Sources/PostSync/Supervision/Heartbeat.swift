import Foundation

/// The last time the supervisor's executor answered a ping. It lives outside the actor on
/// purpose: a hung supervisor cannot answer, and whoever asks must not hang with it.
public final class Heartbeat: Sendable {
    /// How often `HeartbeatService` pings.
    public static let period: Duration = .milliseconds(250)

    private let last: Locked<Date>

    /// Starts as if a beat happened at `now` (a daemon that just started is healthy).
    public init(now: Date) {
        last = Locked(now)
    }

    /// Records a beat.
    public func beat(now: Date) {
        last.withLock { $0 = now }
    }

    /// Whether the last beat is at most `limit` plus one beat period old.
    public func isRecent(now: Date, within limit: Duration) -> Bool {
        now.timeIntervalSince(last.withLock { $0 }) <= limit.seconds + Self.period.seconds
    }
}
