import DequeModule
import Foundation

/// A daemon-wide request budget for one platform endpoint: at most `limit` calls in any
/// `window` (TikTok: 600 per minute per endpoint, a sliding window). Callers reserve a slot;
/// when the next free slot is too far away the caller is told to come back later instead of
/// sleeping through its sync deadline.
actor SlidingWindowLimiter {
    private let limit: Int
    private let window: TimeInterval
    private let clock: any DaemonClock
    // Grant times, oldest first; may hold future reservations.
    private var grants: Deque<Date> = []
    private var pausedUntil: Date?

    /// - Parameters:
    ///   - limit: Calls allowed per window.
    ///   - window: The window length.
    init(limit: Int, window: Duration = .seconds(60), clock: any DaemonClock) {
        self.limit = max(1, limit)
        self.window = window.seconds
        self.clock = clock
    }

    /// Waits for a slot.
    /// - Parameter maxWait: The longest wait worth sleeping for.
    /// - Throws: `PlatformError.rateLimited` with the wait, when it is longer than `maxWait`.
    func acquire(maxWait: Duration) async throws {
        let now = clock.now
        while let first = grants.first, first.addingTimeInterval(window) <= now { grants.removeFirst() }
        var slot = now
        if grants.count >= limit {
            slot = max(slot, grants[grants.count - limit].addingTimeInterval(window))
        }
        if let pausedUntil, pausedUntil > slot { slot = pausedUntil }
        let wait = slot.timeIntervalSince(now)
        if wait > maxWait.seconds {
            throw PlatformError.rateLimited(retryAfter: .seconds(wait.rounded(.up)), "daemon-wide request budget exhausted")
        }
        grants.append(slot)
        if wait > 0 {
            do { try await clock.sleep(until: slot) } catch { throw PlatformError.transient("cancelled while waiting for the request budget") }
        }
    }

    /// Stops granting until `until` (the platform answered 429).
    func pause(until: Date) {
        if pausedUntil.map({ $0 < until }) ?? true { pausedUntil = until }
    }
}
